import type { PredictionResult } from '../../common/training';

export const PREDICTION_CSV_HEADER = 'path,top1,confidence,top_k,error';

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line: path, top-1 class, its probability, the top-k as `class:p;…`, and any error. */
export function predictionCsvRow(r: PredictionResult): string {
  const top = r.top.map((t) => `${t.className}:${t.probability.toFixed(4)}`).join(';');
  return [r.name, r.top[0]?.className ?? '', r.top[0]?.probability.toFixed(6) ?? '', top, r.error ?? '']
    .map(csvField)
    .join(',');
}
