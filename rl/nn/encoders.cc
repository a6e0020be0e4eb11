#include "rl/nn/encoders.h"

#include "rl/nn/conv_stack.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace rl {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// 2 FLOPs per multiply-add of `conv` producing `out` [1, C, H, W].
double flops_of(const torch::nn::Conv2d& conv, const torch::Tensor& out) {
  return 2.0 * static_cast<double>(conv->weight.numel()) * static_cast<double>(out.size(2) * out.size(3));
}

void check_pixels_left(int64_t flat, const std::vector<int64_t>& shape, const std::string& name) {
  if (flat > 0) return;
  throw std::invalid_argument("policy.encoder=" + name + ": its convolutions leave no pixels of observations " +
                              shape_text(shape) + "; use smaller kernels or strides");
}

// A plain stack of convolutions (minatar_cnn, nature_cnn) and one FC layer.
class ConvStackImpl : public EncoderImpl {
 public:
  ConvStackImpl(const std::vector<int64_t>& shape, const std::vector<int>& channels,
                const std::vector<int>& kernels, const std::vector<int>& strides, int fc_size,
                const std::string& name) {
    if (kernels.size() != channels.size() || strides.size() != channels.size()) {
      throw std::invalid_argument("policy.conv_channels, conv_kernels and conv_strides of " + name +
                                  " need one value per layer each, got " + std::to_string(channels.size()) +
                                  ", " + std::to_string(kernels.size()) + " and " +
                                  std::to_string(strides.size()));
    }
    int64_t in = shape[0];
    std::vector<torch::nn::Conv2d> convs;
    for (size_t i = 0; i < channels.size(); ++i) {
      convs.emplace_back(torch::nn::Conv2dOptions(in, channels[i], kernels[i]).stride(strides[i]));
      convs_->push_back(convs.back());
      convs_->push_back(torch::nn::ReLU());
      in = channels[i];
    }
    register_module("convs", convs_);
    int64_t flat = 0;
    {
      // A probe through the layers: the features' size, and each layer's FLOPs.
      torch::NoGradGuard no_grad;
      try {
        torch::Tensor x = torch::zeros({1, shape[0], shape[1], shape[2]});
        for (auto& conv : convs) {
          x = conv->forward(x);
          conv_flops_ += flops_of(conv, x);
        }
        flat = x.numel();
      } catch (const c10::Error&) {
        flat = 0;  // a kernel larger than what is left of the picture: reported below
      }
    }
    check_pixels_left(flat, shape, name);
    fc_ = register_module("fc", torch::nn::Linear(flat, fc_size));
    out_size_ = fc_size;
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    return torch::relu(fc_->forward(convs_->forward(x).flatten(1)));
  }

 private:
  torch::nn::Sequential convs_;
  torch::nn::Linear fc_{nullptr};
};

// IMPALA's residual block: x + conv(relu(conv(relu(x)))).
class ResidualBlockImpl : public torch::nn::Module {
 public:
  explicit ResidualBlockImpl(int64_t channels)
      : conv0_(register_module("conv0", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 3).padding(1)))),
        conv1_(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 3).padding(1)))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return x + conv1_->forward(torch::relu(conv0_->forward(torch::relu(x))));
  }

 private:
  torch::nn::Conv2d conv0_, conv1_;
};
TORCH_MODULE(ResidualBlock);

class ImpalaCnnImpl : public EncoderImpl {
 public:
  ImpalaCnnImpl(const std::vector<int64_t>& shape, const std::vector<int>& channels, int fc_size) {
    int64_t in = shape[0];
    for (size_t i = 0; i < channels.size(); ++i) {
      Stack stack;
      const std::string prefix = "stack" + std::to_string(i);
      stack.conv = register_module(prefix + "_conv",
                                   torch::nn::Conv2d(torch::nn::Conv2dOptions(in, channels[i], 3).padding(1)));
      stack.res0 = register_module(prefix + "_res0", ResidualBlock(channels[i]));
      stack.res1 = register_module(prefix + "_res1", ResidualBlock(channels[i]));
      stacks_.push_back(stack);
      in = channels[i];
    }
    int64_t flat = 0;
    {
      torch::NoGradGuard no_grad;
      try {
        flat = convolve(torch::zeros({1, shape[0], shape[1], shape[2]}), &conv_flops_).numel();
      } catch (const c10::Error&) {
        flat = 0;
      }
    }
    check_pixels_left(flat, shape, "impala_cnn");
    fc_ = register_module("fc", torch::nn::Linear(flat, fc_size));
    out_size_ = fc_size;
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    return torch::relu(fc_->forward(torch::relu(convolve(x, nullptr)).flatten(1)));
  }

 private:
  struct Stack {
    torch::nn::Conv2d conv{nullptr};
    ResidualBlock res0{nullptr}, res1{nullptr};
  };

  // The stacks' output; adds their FLOPs to *flops when given (the probe).
  torch::Tensor convolve(torch::Tensor x, double* flops = nullptr) {
    for (Stack& stack : stacks_) {
      x = stack.conv->forward(x);
      if (flops) *flops += flops_of(stack.conv, x);
      // Max-pool 3x3 stride 2 with "same" padding: ceil(H / 2) rows out.
      x = torch::max_pool2d(x, /*kernel_size=*/3, /*stride=*/2, /*padding=*/1);
      // Two residual blocks of two convolutions each, at the pooled size.
      if (flops) *flops += 4 * flops_of(stack.conv, x) / static_cast<double>(stack.conv->weight.size(1)) *
                           static_cast<double>(stack.conv->weight.size(0));
      x = stack.res1->forward(stack.res0->forward(x));
    }
    return x;
  }

  std::vector<Stack> stacks_;
  torch::nn::Linear fc_{nullptr};
};

}  // namespace


std::shared_ptr<EncoderImpl> make_cnn_encoder(const std::vector<int64_t>& shape, const PolicyConfig& config) {
  const std::string& name = config.encoder;
  if (shape.size() != 3) {
    throw std::invalid_argument("policy.encoder=" + name + " needs observations of shape [C, H, W]; this env's are " +
                                shape_text(shape));
  }
  std::shared_ptr<EncoderImpl> encoder;
  if (name == "minatar_cnn" || name == "nature_cnn") {
    const ConvStackLayers layers = conv_stack_layers(config);
    encoder = std::make_shared<ConvStackImpl>(shape, layers.channels, layers.kernels, layers.strides, layers.fc_size,
                                              name);
  } else if (name == "impala_cnn") {
    const ConvStackLayers layers = conv_stack_layers(config);
    encoder = std::make_shared<ImpalaCnnImpl>(shape, layers.channels, layers.fc_size);
  } else {
    throw std::invalid_argument("policy.encoder: '" + name + "' is not a CNN encoder");
  }
  return encoder;
}

}  // namespace rl
