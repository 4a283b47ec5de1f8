#include "apps/analysis/cam.h"

#include <Eigen/SVD>
#include <cstdio>
#include <numeric>

#include "autograd/node.h"
#include "io/image.h"
#include "tensor/strided.h"

namespace easel {

namespace {

Tensor min_max(const Tensor& m) {
  const std::vector<double> v = m.to_vector();
  const double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
  return hi - lo > 1e-12 ? (m - lo) / (hi - lo) : m * 0.0;
}

}  // namespace

Cam compute_cam(Net& net, const Tensor& x, const std::string& layer_in, const std::string& method, int64_t cls) {
  EASEL_CHECK(x.dim() == 4 && x.size(0) == 1, "cam: expected one image [1, 3, H, W], got ", x.describe());
  EASEL_CHECK(method == "gradcam" || method == "gradcam++" || method == "eigencam", "cam: unknown method '", method,
              "' (gradcam, gradcam++, eigencam)");
  const std::string layer = layer_in.empty() ? net.last_conv_path : layer_in;
  net.eval();
  Cam out;
  Tensor A, G;
  {
    FeatureCapture cap(net, {layer});
    const Tensor logits = net(x);
    const std::vector<double> p = softmax(logits.detach(), 1).to_vector();
    out.cls = cls >= 0 ? cls : int64_t(std::max_element(p.begin(), p.end()) - p.begin());
    EASEL_CHECK(out.cls < int64_t(p.size()), "cam: class ", out.cls, " but the net has ", p.size());
    out.probability = p[size_t(out.cls)];
    A = cap.get(layer).detach();
    EASEL_CHECK(A.dim() == 4, "cam: layer '", layer, "' gives ", A.describe(), "; pick a layer with a [N, C, h, w] output");
    if (method != "eigencam") {
      sum(logits.select(1, out.cls)).backward();
      G = cap.grad(layer);
    }
  }
  A = A.select(0, 0);  // [K, h, w]
  const int64_t K = A.size(0), h = A.size(1), w = A.size(2);
  NoGradGuard ng;
  Tensor map;
  if (method == "gradcam") {
    const Tensor weights = mean(G.select(0, 0), {1, 2}, true);  // [K, 1, 1]
    map = relu(sum(A * weights, {0}));
  } else if (method == "gradcam++") {
    const Tensor g = G.select(0, 0), g2 = g * g, g3 = g2 * g;
    const Tensor denom = g2 * 2.0 + sum(A, {1, 2}, true) * g3;
    Tensor nonzero = dense(g.to(DType::f64));  // α is 0 where the gradient is 0
    for (int64_t i = 0; i < nonzero.numel(); ++i) nonzero.data<double>()[i] = nonzero.data<double>()[i] != 0;
    const Tensor alpha = g2 / (denom + 1e-7) * nonzero.to(g.dtype());
    map = relu(sum(A * sum(alpha * relu(g), {1, 2}, true), {0}));
  } else {
    Eigen::MatrixXd M(h * w, K);
    const Tensor Ad = dense(A.to(DType::f64));
    for (int64_t k = 0; k < K; ++k)
      for (int64_t i = 0; i < h * w; ++i) M(i, k) = Ad.data<double>()[k * h * w + i];
    M.rowwise() -= M.colwise().mean();
    Eigen::BDCSVD<Eigen::MatrixXd> svd(M, Eigen::ComputeThinV);
    Eigen::VectorXd proj = M * svd.matrixV().col(0);
    if (proj.maxCoeff() < -proj.minCoeff()) proj = -proj;  // the sign of a component is arbitrary
    std::vector<double> v(proj.data(), proj.data() + proj.size());
    map = Tensor::from(v, {h, w}, DType::f64).to(A.dtype());
  }
  out.map = min_max(map.to(DType::f32));
  // Onto the input image: the patch branch of the two-branch nets sees the central H/2 × W/2 crop.
  const int64_t H = x.size(2), W = x.size(3);
  const bool patch = layer.rfind("patch_branch", 0) == 0;
  const int64_t ph = patch ? H / 2 : H, pw = patch ? W / 2 : W;
  Tensor up = resize(out.map.unsqueeze(0), ph, pw, false).select(0, 0);
  if (patch) up = pad(up, {(W - pw) / 2, W - pw - (W - pw) / 2, (H - ph) / 2, H - ph - (H - ph) / 2});
  out.image = up;
  return out;
}



std::string feature_map_layer(Net& net, const Tensor& x, int64_t min_side) {
  std::vector<std::string> paths;
  for (const auto& [name, m] : net.named_modules())
    if (!name.empty() && name.find('.') == std::string::npos) paths.push_back(name);  // top-level blocks
  net.eval();
  NoGradGuard ng;
  FeatureCapture cap(net, paths);
  net(x);
  std::string best = net.last_conv_path;
  for (const auto& p : paths) {
    Tensor a;
    try {
      a = cap.get(p);
    } catch (const Error&) {
      continue;  // a child the forward pass did not call
    }
    if (a.dim() == 4 && std::min(a.size(2), a.size(3)) >= min_side) best = p;
  }
  return best;
}


FeatureMaps strongest_feature_maps(Net& net, const Tensor& x, const std::string& layer_in, int64_t top) {
  FeatureMaps out;
  out.layer = layer_in.empty() ? net.last_conv_path : layer_in;
  net.eval();
  NoGradGuard ng;
  Tensor A;
  {
    FeatureCapture cap(net, {out.layer});
    net(x);
    A = cap.get(out.layer);
  }
  EASEL_CHECK(A.dim() == 4, "feature maps: layer '", out.layer, "' gives ", A.describe(), "; pick a layer with a [N, C, h, w] output");
  A = A.select(0, 0).to(DType::f32);
  out.channels = A.size(0), out.height = A.size(1), out.width = A.size(2);
  const std::vector<double> strength = mean(A, {1, 2}).to_vector();
  std::vector<int64_t> order(strength.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return strength[size_t(a)] > strength[size_t(b)]; });
  for (int64_t k = 0; k < std::min<int64_t>(top, int64_t(order.size())); ++k) {
    const int64_t ch = order[size_t(k)];
    out.channel.push_back(ch);
    out.strength.push_back(strength[size_t(ch)]);
    out.maps.push_back(min_max(A.select(0, ch)));
  }
  return out;
}

}  // namespace easel
