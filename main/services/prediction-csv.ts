// The predictions CSV that batch predict and `graft predict --csv` write. Photo and class names
// come from the person's disk and labels, so a cell may start like a spreadsheet formula or hold
// a line break: csv-stringify does the RFC 4180 quoting, and formula-leading text is neutralised.
import { stringify } from 'csv-stringify/sync';
import type { PredictionResult } from '../../common/training';

const COLUMNS = ['path', 'top1', 'confidence', 'top_k', 'error', 'unlike_training', 'ood_score'];

/** The header line, without a line break. */
export const PREDICTION_CSV_HEADER = COLUMNS.join(',');

/** Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP CSV injection). */
const FORMULA_LEAD = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The cell as a spreadsheet will show it as text: a leading `=`, `+`, `-`, `@`, tab or CR gets a
 * `'` before it, as OWASP's "CSV Injection" page recommends; plain numbers (`-0.5`) stay numbers.
 */
export function neutraliseFormula(cell: string): string {
  return FORMULA_LEAD.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${cell}` : cell;
}

/**
 * One CSV record, without the line break: path, top-1 class, its probability (6 decimals), the
 * top-k as `class:p;…` (4 decimals), any error, `yes`/`no` for "unlike the training photos" and
 * the out-of-distribution score (4 decimals) — both empty when the run keeps no statistics or
 * the photo was unreadable. Cells holding a comma, quote, CR or LF are quoted by csv-stringify.
 */
export function predictionCsvRow(r: PredictionResult): string {
  const top = r.top.map((t) => `${t.className}:${t.probability.toFixed(4)}`).join(';');
  const scored = r.oodScore !== undefined && r.oodScore !== null;
  const cells = [
    r.name,
    r.top[0]?.className ?? '',
    r.top[0]?.probability.toFixed(6) ?? '',
    top,
    r.error ?? '',
    scored ? (r.unlikeTraining ? 'yes' : 'no') : '',
    scored ? (r.oodScore as number).toFixed(4) : '',
  ];
  return stringify([cells.map(neutraliseFormula)], { eof: false });
}
