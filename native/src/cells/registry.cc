// Every cell the addon runs: one entry a cell, by the code the JavaScript side sends for it (CellKind's values, the
// numbers of src/engines/native/index.ts). A cell defines its CellKernels in its own file (cells/NAME.cc).
#include "cell.h"

namespace gn {

extern const CellKernels lstm_kernels, gru_kernels, rnn_kernels;

namespace {

const struct {
  CellKind kind;
  const CellKernels* kernels;
} kCells[] = {
    {CellKind::lstm, &lstm_kernels},
    {CellKind::gru, &gru_kernels},
    {CellKind::rnn, &rnn_kernels},
};

}  // namespace

const CellKernels* find_cell(int code) {
  for (const auto& cell : kCells) {
    if (static_cast<int>(cell.kind) == code) return cell.kernels;
  }
  return nullptr;
}

const CellKernels& cell_kernels(CellKind kind) { return *find_cell(static_cast<int>(kind)); }

int Spec::gates() const { return cell_kernels(cell).gates; }

int Spec::states() const { return cell_kernels(cell).states; }

}  // namespace gn
