// Picks the fastest tfjs backend this process can load, once: the native TensorFlow binding
// (@tensorflow/tfjs-node, optional and often absent), else WebAssembly with SIMD, else plain JS.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from './tfjs/wasm-gradient-kernels';

export type TfjsBackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface Tfjs {
  tf: typeof tf;
  backend: TfjsBackendName;
}

const requireHere = createRequire(__filename);

let ready: Promise<Tfjs> | null = null;

/** The tfjs namespace with its backend chosen and initialised; later calls share the first result. */
export function initTfjs(): Promise<Tfjs> {
  ready ??= chooseBackend();
  return ready;
}

async function chooseBackend(): Promise<Tfjs> {
  // Silences tfjs's console advice ("looks like you are running TensorFlow.js in Node.js");
  // production mode only gates warnings, not numerics.
  tf.enableProdMode();
  // tfjs-node registers its backend when loaded; it fails to load when absent or built for
  // another Node ABI (as inside Electron).
  if (await tryBackend('tensorflow', () => requireHere('@tensorflow/tfjs-node'))) return { tf, backend: 'tensorflow' };
  if (await tryBackend('wasm', prepareWasm)) return { tf, backend: 'wasm' };
  await tf.setBackend('cpu');
  return { tf, backend: 'cpu' };
}

async function tryBackend(name: TfjsBackendName, prepare: () => void): Promise<boolean> {
  // The wasm module's Emscripten runtime adds process handlers that rethrow every uncaught
  // error, which would turn the host's own error handling into a crash: they are removed.
  const uncaught = process.listeners('uncaughtException');
  const unhandled = process.listeners('unhandledRejection');
  try {
    prepare();
    return await tf.setBackend(name);
  } catch {
    return false;
  } finally {
    for (const l of process.listeners('uncaughtException')) {
      if (!uncaught.includes(l)) process.off('uncaughtException', l);
    }
    for (const l of process.listeners('unhandledRejection')) {
      if (!unhandled.includes(l)) process.off('unhandledRejection', l);
    }
  }
}

/**
 * Makes WebAssembly the current backend whichever one initTfjs chose (benchmarks and tests
 * measure it even where tfjs-node is installed); false where it cannot load.
 */
export async function useWasmBackend(): Promise<boolean> {
  await initTfjs();
  return tryBackend('wasm', prepareWasm);
}

/** wasm lacks some convolution gradients; Graft registers its own before the backend starts. */
function prepareWasm(): void {
  pointWasmAtPackageFiles();
  registerWasmGradientKernels();
}

/** Absolute file paths: in Node the wasm loader then reads the binaries from disk, never over a URL. */
function pointWasmAtPackageFiles(): void {
  const dir = path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths({
    'tfjs-backend-wasm.wasm': path.join(dir, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': path.join(dir, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm'),
  });
}
