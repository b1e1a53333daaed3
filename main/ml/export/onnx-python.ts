// Which Python can run the ONNX reference check (the official onnx package's checker). Graft
// does not ship Python; the check runs where one with onnx is installed and is skipped, saying
// how to get it, where none is.
import { spawnSync } from 'node:child_process';

/** How a person gets the reference check: one line, printed where it is skipped. */
export const ONNX_PYTHON_HINT =
  'no Python with the onnx package: `pip install onnx` (Debian: `apt-get install python3-onnx`) or set GRAFT_PYTHON to include the ONNX reference check';

export type OnnxPython = { python: string } | { python: null; reason: string };

let found: OnnxPython | undefined;

/**
 * The first of $GRAFT_PYTHON, `python3` and `python` on PATH (a Mac's, Windows' and most
 * Linuxes' names) and /usr/bin/python3 (Debian's python3-onnx) where `-c "import onnx"`
 * succeeds. Looked up once per process.
 */
export function findOnnxPython(env: NodeJS.ProcessEnv = process.env): OnnxPython {
  if (found && env === process.env) return found;
  const candidates = [env.GRAFT_PYTHON, 'python3', 'python', '/usr/bin/python3'].filter((c): c is string => !!c);
  let result: OnnxPython = { python: null, reason: ONNX_PYTHON_HINT };
  for (const python of new Set(candidates)) {
    const probe = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8', timeout: 30_000, env });
    if (probe.status === 0) {
      result = { python };
      break;
    }
  }
  if (env === process.env) found = result;
  return result;
}
