// Test models for the command line: an ONNX file carrying the metadata of a Graft export, made
// with Graft's own ONNX writer, so `graft predict` can run on it without training a model.
import fs from 'node:fs';
import { pooledFeatureModel } from '../ml/onnx/onnx-fixtures';
import { decodeModel, encodeModel } from '../ml/onnx/onnx-proto';
import { run } from './index';
import type { CliIo } from './terminal-text';

/**
 * Writes a model shaped like a Graft export of three classes whose "probabilities" are the
 * pooled RGB means of a size×size NCHW input in [0, 1].
 * @param classes exactly three class names (one per colour channel)
 */
export function writeGraftLikeExport(file: string, classes: readonly string[], size = 8): void {
  if (classes.length !== 3) throw new Error('writeGraftLikeExport needs three classes, one per channel');
  const model = decodeModel(pooledFeatureModel(['N', 3, size, size]));
  const input = {
    name: 'input',
    dtype: 'float32',
    shape: ['N', 3, size, size],
    layout: 'NCHW',
    values: 'RGB',
    normalisation: { kind: 'range', min: 0, max: 1 },
    resize: { shortSide: size, crop: 'centre', size, steps: '' },
  };
  model.metadataProps = [
    { key: 'graft.class_names', value: JSON.stringify(classes) },
    { key: 'graft.input', value: JSON.stringify(input) },
  ];
  fs.writeFileSync(file, encodeModel(model));
}

/** `graft argv…` against the data directory `dataDir`, collecting what it prints (a row of cells joined by tabs). */
export function graftRunner(dataDir: string) {
  return async (...argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = {
      out: (line) => stdout.push(typeof line === 'string' ? line : line.join('\t')),
      err: (line) => stderr.push(line),
    };
    const code = await run([...argv, '--data-dir', dataDir], io);
    return { code, stdout, stderr };
  };
}
