// Attributes of the operators: plain data shared by the compute declarations (nn.h)
// and the reference implementations (reference.h), which must agree on meaning but
// nothing else, so this header does not include the IR.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bcd::ops {

// Data layout of 2-D image operators. NCHW: batch, channel, height, width (weights
// O, C/groups, KH, KW); NHWC: batch, height, width, channel (weights KH, KW,
// C/groups, O).
enum class Layout : uint8_t { NCHW, NHWC };

// Fails with "<op>: unknown layout 'X' (expected NCHW or NHWC)".
Layout parse_layout(const std::string& text, const std::string& op);
const char* layout_name(Layout layout);

// Padding of the two spatial dimensions in TVM's order: top, left, bottom, right.
using Padding2D = std::array<int64_t, 4>;

// Expands 1 value (all sides), 2 values (height, width: symmetric) or 4 values (top,
// left, bottom, right); fails on any other count.
Padding2D padding_from_list(const std::vector<int64_t>& values, const std::string& op);
// Expands 1 value (both) or 2 values (height, width) of kernel/stride/dilation.
std::array<int64_t, 2> pair_from_list(const std::vector<int64_t>& values,
                                      const std::string& what, const std::string& op);

struct Conv2DAttrs {
  Layout layout = Layout::NCHW;
  std::array<int64_t, 2> stride{1, 1};    // height, width
  Padding2D padding{0, 0, 0, 0};          // top, left, bottom, right
  std::array<int64_t, 2> dilation{1, 1};  // height, width
  // Input and output channels are split into `groups` independent groups;
  // groups == input channels is a depthwise convolution.
  int64_t groups = 1;
};

struct Pool2DAttrs {
  Layout layout = Layout::NCHW;
  std::array<int64_t, 2> kernel{2, 2};
  std::array<int64_t, 2> stride{2, 2};
  Padding2D padding{0, 0, 0, 0};
  // Average pooling only: divide by the full window (true) or by the number of
  // in-bounds elements (false, the default, as in most frameworks' inference).
  bool count_include_pad = false;
};

// Reductions over a set of axes (ONNX ReduceSum, ReduceMean, ...).
enum class ReduceKind : uint8_t { Sum, Mean, Max, Min, L2 };
// Fails with "<op>: unknown reduction 'x' (expected sum, mean, max, min, l2)".
ReduceKind parse_reduce_kind(const std::string& text, const std::string& op);
const char* reduce_kind_name(ReduceKind kind);

struct ReduceAttrs {
  ReduceKind kind = ReduceKind::Sum;
  std::vector<int64_t> axes;  // empty: every axis; negative counts from the end
  bool keepdims = true;       // reduced axes stay with extent 1
};

// The output shape of a reduction, and its axes sorted and non-negative. A result
// with no axis left (every axis reduced, keepdims off) has shape [1]: bcd's tensors
// have rank >= 1. Fails naming `op` on an axis out of range or given twice.
std::vector<int64_t> reduce_shape(const std::vector<int64_t>& in, const ReduceAttrs& attrs,
                                  std::vector<int64_t>* axes, const std::string& op);

// A strided slice in canonical form, one entry per dimension: output index i of a
// dimension reads begin + i * step (step may be negative), extent times.
struct SliceAttrs {
  std::vector<int64_t> begin, step, extent;
};

// ONNX Slice semantics: starts and ends clamped to the dimension (negative count
// from the end), axes (default: the first ones) and steps (default 1; not 0).
// Fails naming `op` on mismatched lengths, an axis out of range or given twice.
SliceAttrs resolve_slice(const std::vector<int64_t>& shape, const std::vector<int64_t>& starts,
                         const std::vector<int64_t>& ends, std::vector<int64_t> axes,
                         std::vector<int64_t> steps, const std::string& op);

// What a padded position holds: `value`, the mirror image of the data about its
// first or last element (ONNX's reflect), or the nearest element (edge).
enum class PadMode : uint8_t { Constant, Reflect, Edge };
// Fails with "<op>: unknown padding mode 'x' (expected constant, reflect, edge)".
PadMode parse_pad_mode(const std::string& text, const std::string& op);
const char* pad_mode_name(PadMode mode);

// Resizing (ONNX Resize): every output position maps to a source coordinate, the
// rational N / D of resize_source, then reads the nearest element or interpolates
// linearly between the two around it, per resized dimension.
enum class ResizeMode : uint8_t { Nearest, Linear };
enum class ResizeCoordinates : uint8_t { HalfPixel, PytorchHalfPixel, AlignCorners, Asymmetric };
enum class NearestRounding : uint8_t { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };

// ONNX's names ("half_pixel", ..., "round_prefer_floor", ...); parsing fails with
// "<op>: unknown <what> 'x' (expected ...)".
ResizeCoordinates parse_resize_coordinates(const std::string& text, const std::string& op);
const char* resize_coordinates_name(ResizeCoordinates c);
NearestRounding parse_nearest_rounding(const std::string& text, const std::string& op);
const char* nearest_rounding_name(NearestRounding r);

struct ResizeAttrs {
  std::vector<int64_t> out_shape;
  ResizeMode mode = ResizeMode::Nearest;
  ResizeCoordinates coordinates = ResizeCoordinates::HalfPixel;
  NearestRounding rounding = NearestRounding::RoundPreferFloor;
};

// The source coordinate of output index `x` of a dimension resized from `in` to
// `out`, exactly, as numerator and (positive) denominator.
std::pair<int64_t, int64_t> resize_source(int64_t x, int64_t in, int64_t out, ResizeCoordinates c);
// Nearest: the source index, clamped into [0, in). Linear: the lower index and the
// weight of the upper one (which is min(lower + 1, in - 1)).
int64_t resize_nearest(int64_t x, int64_t in, int64_t out, const ResizeAttrs& a);
std::pair<int64_t, double> resize_linear(int64_t x, int64_t in, int64_t out, const ResizeAttrs& a);
// Fails naming `op` on a rank mismatch, an empty output, or sizes whose index
// arithmetic would overflow the generated code's 32-bit ints.
void check_resize(const std::vector<int64_t>& in, const ResizeAttrs& a, const std::string& op);

struct PadAttrs {
  std::vector<int64_t> before;  // one per dimension
  std::vector<int64_t> after;   // one per dimension
  double value = 0.0;           // Constant only
  PadMode mode = PadMode::Constant;
};

// The input index a padded position of dimension `extent` reads, for the modes
// other than Constant: `i` counts from the data's first element (negative before it).
int64_t pad_source(int64_t i, int64_t extent, PadMode mode);

struct WindowGeometry {
  int64_t out_h = 0, out_w = 0;
};
// Output extent of a sliding window: (in + pads - dilated kernel) / stride + 1.
// Fails naming `op` on non-positive kernel/stride/dilation, negative padding, or a
// (dilated) kernel that does not fit the padded input.
WindowGeometry window_output(int64_t in_h, int64_t in_w, const std::array<int64_t, 2>& kernel,
                             const std::array<int64_t, 2>& stride, const Padding2D& padding,
                             const std::array<int64_t, 2>& dilation, const std::string& op);

}  // namespace bcd::ops
