import type { GraftApi, PredictModel } from '../../../../common/contract';
import type { PredictionResult } from '../../../../common/training';
import { fileToBase64 } from '../file-base64';
import type { Notices } from './notices.svelte';

export interface PhotoPrediction {
  key: number;
  name: string;
  /** An object URL of the file for its preview; revoked when the photo leaves the list. */
  previewUrl: string;
  /** Null while the model is still at work. */
  result: PredictionResult | null;
}

type Photo = { name: string; dataBase64: string };

/** Photos travel as base64 in the call's body, so a large drop goes in several calls of about this size. */
const CALL_BUDGET_CHARS = 8 * 1024 * 1024;
const UNREADABLE_FILE = 'The file could not be read from disk.';

const failed = (item: PhotoPrediction, error: string): [number, PredictionResult] => [
  item.key,
  { name: item.name, top: [], error },
];

/** Photos from outside the project (dropped or chosen) and what a model says they show. */
export class PhotoPredictions {
  items = $state.raw<PhotoPrediction[]>([]);
  private nextKey = 1;

  constructor(
    private readonly api: GraftApi,
    private readonly notices: Notices,
  ) {}

  async predict(model: PredictModel, files: File[]): Promise<void> {
    const added = files.map((file) => ({
      file,
      item: { key: this.nextKey++, name: file.name, previewUrl: URL.createObjectURL(file), result: null },
    }));
    this.items = [...this.items, ...added.map((a) => a.item)];
    let batch: { item: PhotoPrediction; photo: Photo }[] = [];
    let size = 0;
    for (const { file, item } of added) {
      let dataBase64: string;
      try {
        dataBase64 = await fileToBase64(file);
      } catch {
        this.settle([failed(item, UNREADABLE_FILE)]);
        continue;
      }
      if (batch.length > 0 && size + dataBase64.length > CALL_BUDGET_CHARS) {
        await this.send(model, batch);
        batch = [];
        size = 0;
      }
      batch.push({ item, photo: { name: file.name, dataBase64 } });
      size += dataBase64.length;
    }
    if (batch.length > 0) await this.send(model, batch);
  }

  clear(): void {
    for (const item of this.items) URL.revokeObjectURL(item.previewUrl);
    this.items = [];
  }

  private async send(model: PredictModel, batch: { item: PhotoPrediction; photo: Photo }[]): Promise<void> {
    try {
      const results = await this.api.call('predict:photos', { model, photos: batch.map((b) => b.photo) });
      this.settle(batch.map(({ item }, i) => [item.key, results[i]]));
    } catch (err) {
      this.notices.report(err);
      const message = err instanceof Error ? err.message : String(err);
      this.settle(batch.map(({ item }) => failed(item, message)));
    }
  }

  /** Gives photos still in the list their result; photos cleared meanwhile are skipped. */
  private settle(results: [key: number, result: PredictionResult][]): void {
    const byKey = new Map(results);
    this.items = this.items.map((item) => {
      const result = byKey.get(item.key);
      return result ? { ...item, result } : item;
    });
  }
}
