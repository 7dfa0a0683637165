"""Executes tslab notebooks headlessly with nbclient and fails on any error output.

Usage: run_notebooks.py [--quick] [--inplace] [--out DIR] NOTEBOOK...
  --quick    sets GN_QUICK=1 so notebooks use a small slice and few steps
  --inplace  saves the executed notebooks over the originals (the committed full run)
  --out DIR  saves the executed copies to DIR instead (default: nothing is saved)
"""
import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


def error_outputs(nb):
    """Yields (cell number, text) for every error output and every stderr stream that reports an error."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                yield index, f"{out.get('ename')}: {out.get('evalue')}"
            elif out.get("output_type") == "stream" and out.get("name") == "stderr" and "error" in out.get("text", "").lower():
                yield index, out["text"].strip()


def run(path: Path, quick: bool, timeout: int, out: Path | None) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    env_note = "quick" if quick else "full"
    print(f"executing {path.relative_to(ROOT)} ({env_note} mode, kernel tslab)", flush=True)
    started = time.time()
    client = NotebookClient(nb, kernel_name="tslab", timeout=timeout, resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        print(str(exc)[-3000:], file=sys.stderr)
        if out:
            save(nb, out / path.name)
            print(f"partial run saved to {out / path.name}", file=sys.stderr)
        raise SystemExit(f"FAILED {path.name}: a cell raised an error")
    problems = list(error_outputs(nb))
    for index, text in problems:
        print(f"  cell {index}: {text[:500]}", file=sys.stderr)
    if problems:
        raise SystemExit(f"FAILED {path.name}: {len(problems)} error output(s)")
    cells = sum(1 for c in nb.cells if c.cell_type == "code")
    print(f"ok {path.name}: {cells} code cells in {time.time() - started:.1f} s", flush=True)
    return nb


def save(nb: nbformat.NotebookNode, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--inplace", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = parser.parse_args()

    os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if args.quick:
        os.environ["GN_QUICK"] = "1"
    else:
        os.environ.pop("GN_QUICK", None)
    for path in args.notebooks:
        path = path.resolve()
        nb = run(path, args.quick, args.timeout, args.out)
        if args.inplace:
            save(nb, path)
        elif args.out:
            save(nb, args.out / path.name)


if __name__ == "__main__":
    main()
