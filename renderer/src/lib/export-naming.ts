// How exports are named: their formats on screen, and the folder each is written into (a plain
// name inside the chosen location).

import type { ExportFormat } from '../../../common/training';

export const FORMAT_NAMES: Record<ExportFormat, string> = { onnx: 'ONNX', tfjs: 'TF.js' };

/** Characters no common file system accepts in a folder name. */
const UNSAFE = /[\\/:*?"<>|\p{Cc}]/gu;

/** "Run 1" exported as ONNX -> "Run 1-onnx". */
export function defaultFolderName(experimentName: string, format: ExportFormat): string {
  return `${experimentName.replace(UNSAFE, '-').trim()}-${format}`;
}

/** Why `name` cannot be a folder name, or null when it can. */
export function folderNameProblem(name: string): string | null {
  const clean = name.trim();
  if (!clean) return 'Give the folder a name.';
  if (clean === '.' || clean === '..' || /[\\/]/.test(clean)) return 'A name only, not a path.';
  if (clean.search(UNSAFE) !== -1) return 'Leave out \\ / : * ? " < > |.';
  return null;
}
