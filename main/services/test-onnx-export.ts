// Test support: a run exported as ONNX into a new folder under `dir` through the export service,
// as the Export view does it, waiting for the file and its parity proof.
import fs from 'node:fs';
import path from 'node:path';
import type { Id } from '../../common/contract';
import type { ExportRecord } from '../../common/training';
import type { GraftApp } from './graft-app';

/** Exports run `experimentId` as ONNX to `<dir>/<folder>/<folder>` and returns the finished record. */
export async function exportOnnx(app: GraftApp, experimentId: Id, dir: string, folder: string): Promise<ExportRecord> {
  const out = path.join(dir, folder);
  fs.mkdirSync(out, { recursive: true });
  return app.exports.start(experimentId, {
    format: 'onnx',
    location: app.locations.resolve(app.locations.register(out)),
    folderName: folder,
    rawInput: false,
    overwrite: false,
  }).done;
}
