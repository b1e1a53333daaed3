// The reference check of a written ONNX file: the official onnx package's checker with
// full_check (strict shape inference included), run by a system Python. Graft does not ship
// Python; where python3 or its onnx package is missing the check reports itself unavailable.
import { execFile } from 'node:child_process';
import { findOnnxPython } from './onnx-python';

export type OnnxCheckResult =
  | { available: false; reason: string }
  | { available: true; ok: true; message: string; irVersion: number; opset: number; onnxVersion: string }
  | { available: true; ok: false; message: string };

export interface OnnxCheckOptions {
  /** Python with the onnx package (default: findOnnxPython's). */
  python?: string;
  timeoutMs?: number;
}

const NO_ONNX_EXIT = 3;

const SCRIPT = `
import json, sys
try:
    import onnx
except ImportError as e:
    print(str(e), file=sys.stderr)
    sys.exit(${NO_ONNX_EXIT})
try:
    m = onnx.load(sys.argv[1])
    onnx.checker.check_model(m, full_check=True)
except Exception as e:
    print(json.dumps({"ok": False, "message": type(e).__name__ + ": " + str(e).strip()}))
    sys.exit(0)
opset = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), 0)
print(json.dumps({"ok": True, "ir": m.ir_version, "opset": opset, "onnx": onnx.__version__}))
`;

interface ScriptReport {
  ok: boolean;
  message?: string;
  ir?: number;
  opset?: number;
  onnx?: string;
}

/** Runs onnx.checker.check_model(full_check=True) on `file`. Never throws. */
export function checkOnnxFile(file: string, options: OnnxCheckOptions = {}): Promise<OnnxCheckResult> {
  const found = options.python ? { python: options.python } : findOnnxPython();
  if (found.python === null) return Promise.resolve({ available: false, reason: found.reason });
  const python = found.python;
  return new Promise((resolve) => {
    execFile(
      python,
      ['-c', SCRIPT, file],
      { timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const exit = err && typeof err.code === 'number' ? err.code : err ? null : 0;
        if (err && (err.code === 'ENOENT' || err.code === 'EACCES')) {
          resolve({ available: false, reason: `No Python at ${python}; install Python and \`pip install onnx\`.` });
          return;
        }
        if (exit === NO_ONNX_EXIT) {
          resolve({
            available: false,
            reason: `${python} has no onnx package (${stderr.trim()}): \`pip install onnx\`.`,
          });
          return;
        }
        if (exit !== 0) {
          const reason = err?.killed ? 'it timed out' : lastLine(stderr) || `it exited with ${String(err?.code)}`;
          resolve({ available: true, ok: false, message: `The ONNX checker could not run: ${reason}` });
          return;
        }
        let report: ScriptReport;
        try {
          report = JSON.parse(lastLine(stdout)) as ScriptReport;
        } catch {
          resolve({ available: true, ok: false, message: `The ONNX checker printed no verdict: ${stdout.trim()}` });
          return;
        }
        resolve(
          report.ok
            ? {
                available: true,
                ok: true,
                message: `onnx ${report.onnx} full_check passed (IR ${report.ir}, opset ${report.opset}).`,
                irVersion: report.ir ?? 0,
                opset: report.opset ?? 0,
                onnxVersion: report.onnx ?? '',
              }
            : { available: true, ok: false, message: report.message ?? 'The ONNX checker rejected the model.' },
        );
      },
    );
  });
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}
