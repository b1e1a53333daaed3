import { describe, expect, it } from 'vitest';
import { neutraliseFormula, PREDICTION_CSV_HEADER, predictionCsvRow } from './prediction-csv';

describe('neutraliseFormula', () => {
  it('prefixes formula-leading text with a quote and keeps plain numbers as numbers', () => {
    for (const cell of ['=1+2', '+A1', '-2+3', '@SUM(A1)', '\tx', '\rx', '-', '+-1', '=0.5'])
      expect(neutraliseFormula(cell), JSON.stringify(cell)).toBe(`'${cell}`);
    for (const cell of ['-0.5', '+3', '-12', '-1.5e-3', '0.912345', 'cat', 'a=b', ''])
      expect(neutraliseFormula(cell), JSON.stringify(cell)).toBe(cell);
  });
});

describe('predictionCsvRow', () => {
  it('says whether a photo is unlike the training photos, and stays neutral about runs without statistics', () => {
    expect(PREDICTION_CSV_HEADER).toBe('path,top1,confidence,top_k,error,unlike_training,ood_score');
    const top = [{ className: '=ants', probability: 0.79 }];
    expect(predictionCsvRow({ name: 'bee.png', top, error: null, unlikeTraining: true, oodScore: 7.25 })).toBe(
      "bee.png,'=ants,0.790000,'=ants:0.7900,,yes,7.2500",
    );
    expect(predictionCsvRow({ name: 'a.jpg', top, error: null, unlikeTraining: false, oodScore: null })).toBe(
      "a.jpg,'=ants,0.790000,'=ants:0.7900,,,",
    );
  });
});
