// Every cell the addon runs: one entry a cell; the JavaScript side names a cell by its `name` (and asks the addon
// which names it knows: `cells`). A cell defines its CellKernels in its own file (cells/NAME.cc).
#include <cstring>

#include "cell.h"

namespace gn {

extern const CellKernels lstm_kernels, gru_kernels, rnn_kernels;

namespace {

const CellKernels* const kCells[] = {&lstm_kernels, &gru_kernels, &rnn_kernels};

}  // namespace

const CellKernels* find_cell(const char* name) {
  for (const CellKernels* cell : kCells) {
    if (std::strcmp(cell->name, name) == 0) return cell;
  }
  return nullptr;
}

std::vector<const char*> cell_names() {
  std::vector<const char*> names;
  for (const CellKernels* cell : kCells) names.push_back(cell->name);
  return names;
}

int Spec::gates() const { return cell->gates; }

int Spec::states() const { return cell->states; }

}  // namespace gn
