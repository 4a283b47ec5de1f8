#include "apps/train/inference.h"

#include "autograd/node.h"
#include "io/image.h"

namespace easel {

Tta parse_tta(const std::string& spec) {
  if (spec.empty() || spec == "none") return Tta::none;
  if (spec == "flip") return Tta::flip;
  throw Error("--tta '" + spec + "': expected none or flip");
}

// A batch [N, C, H, W] mirrored left to right: io/image's hflip on its N·C planes.
static Tensor mirror(const Tensor& images) {
  const Tensor x = images.cpu().to(DType::f32);
  return hflip(x.reshape({x.size(0) * x.size(1), x.size(2), x.size(3)})).reshape(x.shape());
}

Outputs collect_outputs(Net& net, DataLoader& loader, const std::string& layer, Tta tta) {
  net.eval();
  const std::vector<Tensor> params = net.parameters();
  const Device device = params.empty() ? Device::cpu() : params[0].device();  // batches go where the net is, in its dtype
  NoGradGuard ng;
  if (!layer.empty()) net.at(layer);  // an unknown name fails here, listing the modules
  Outputs out;
  std::vector<Tensor> emb;
  loader.start_epoch(0);
  Batch b;
  const DType dtype = params.empty() ? DType::f32 : params[0].dtype();
  auto run = [&](const Tensor& images, Tensor* e, Tensor* z) {
    if (layer.empty()) {
      *e = net.embed(images);
      *z = net.at(net.head_path)(*e);
    } else {
      FeatureCapture cap(net, {layer});
      *z = net(images);
      *e = cap.get(layer);
      *e = e->dim() == 4 ? mean(*e, {2, 3}) : e->contiguous().reshape({e->size(0), -1});
    }
  };
  while (loader.next(&b)) {
    Tensor e, z;
    run(b.images.to(device).to(dtype), &e, &z);
    Tensor p = softmax(z, 1);
    if (tta == Tta::flip) {
      Tensor e2, z2;
      run(mirror(b.images).to(device).to(dtype), &e2, &z2);
      p = (p + softmax(z2, 1)) * 0.5;
      e = (e + e2) * 0.5;
      z = log(clamp(p, 1e-30, 1.0));  // finite where a probability underflows
    }
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
                 std::vector<size_t>* indices_out, Tta tta) {
  Outputs o = collect_outputs(net, loader, "", tta);
  Metrics m = compute_metrics(o.probs, o.labels);
  if (probs_out) *probs_out = std::move(o.probs);
  if (labels_out) *labels_out = std::move(o.labels);
  if (indices_out) *indices_out = std::move(o.indices);
  return m;
}

}  // namespace easel
