#include "apps/train/inference.h"

#include "autograd/node.h"

namespace easel {

Outputs collect_outputs(Net& net, DataLoader& loader, const std::string& layer) {
  net.eval();
  const std::vector<Tensor> params = net.parameters();
  const Device device = params.empty() ? Device::cpu() : params[0].device();  // batches go where the net is, in its dtype
  NoGradGuard ng;
  if (!layer.empty()) net.at(layer);  // an unknown name fails here, listing the modules
  Outputs out;
  std::vector<Tensor> emb;
  loader.start_epoch(0);
  Batch b;
  while (loader.next(&b)) {
    const Tensor images = b.images.to(device).to(params.empty() ? DType::f32 : params[0].dtype());
    Tensor e, z;
    if (layer.empty()) {
      e = net.embed(images);
      z = net.at(net.head_path)(e);
    } else {
      FeatureCapture cap(net, {layer});
      z = net(images);
      e = cap.get(layer);
      e = e.dim() == 4 ? mean(e, {2, 3}) : e.contiguous().reshape({e.size(0), -1});
    }
    const Tensor p = softmax(z, 1);
    emb.push_back(e.cpu());
    const int64_t C = p.size(1);
    const std::vector<double> flat = p.to_vector(), lab = b.labels.to_vector(), zf = z.to_vector();
    for (int64_t i = 0; i < p.size(0); ++i) {
      out.logits.emplace_back(zf.begin() + i * C, zf.begin() + (i + 1) * C);
      out.probs.emplace_back(flat.begin() + i * C, flat.begin() + (i + 1) * C);
      out.labels.push_back(int64_t(lab[size_t(i)]));
      out.indices.push_back(b.indices[size_t(i)]);
    }
  }
  EASEL_CHECK(!emb.empty(), "no image could be read");
  out.embeddings = concat(emb, 0);
  return out;
}

Metrics evaluate(Net& net, DataLoader& loader, std::vector<std::vector<double>>* probs_out, std::vector<int64_t>* labels_out,
                 std::vector<size_t>* indices_out) {
  Outputs o = collect_outputs(net, loader);
  Metrics m = compute_metrics(o.probs, o.labels);
  if (probs_out) *probs_out = std::move(o.probs);
  if (labels_out) *labels_out = std::move(o.labels);
  if (indices_out) *indices_out = std::move(o.indices);
  return m;
}

}  // namespace easel
