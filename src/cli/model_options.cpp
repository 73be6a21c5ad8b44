#include "cli/model_options.h"

#include "cli/number_checks.h"

namespace bcd::cli {

void add_model_options(CLI::App* cmd, api::ModelSpec& o) {
  cmd->add_option("--model", o.model, "zoo model name or .onnx path")->capture_default_str();
  cmd->add_option("--image-size", o.zoo.image_size, "zoo CNNs: input height and width (default: the model's own)")
      ->check(positive);
  cmd->add_option("--bert-layers", o.zoo.bert_layers, "bert: encoder layers (default 12)")->check(positive);
  cmd->add_option("--weight-seed", o.zoo.seed, "seed of the zoo's random weights");
  cmd->add_option("--bert-seq-len", o.zoo.bert_seq_len, "bert: tokens (default 128)")->check(positive);
  cmd->add_option("--layout", o.layout,
                  "auto, keep (the model's) or NHWC: run its NCHW convolutions and pools in NHWC, with transposes "
                  "at the edges (faster on CPUs); auto: NHWC on CPUs unless --records were tuned on the model as "
                  "written")
      ->capture_default_str();
  cmd->add_option_function<std::vector<std::string>>(
         "--input-shape",
         [&o](const std::vector<std::string>& texts) {
           for (const std::string& t : texts) frontends::parse_input_shape(t, o.input_shapes);
         },
         "ONNX models: NAME=1x3x224x224, the shape of an input with dynamic dimensions (repeatable)")
      ->take_all()
      ->allow_extra_args(false);
}

}  // namespace bcd::cli
