// The shared hymenoptera photos (ants vs bees) as embedder items. Benchmarks only: the
// folder lives outside the repository and tests never read it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EmbedItem } from '../main/ml/embedding/embedder';

export const HYMENOPTERA_DIR = path.resolve(__dirname, '..', '..', 'shared', 'datasets', 'hymenoptera');
export const SHARED_BACKBONES_DIR = path.resolve(__dirname, '..', '..', 'shared', 'backbones');

export interface LabelledPhoto extends EmbedItem {
  file: string;
  label: number;
  split: 'train' | 'val';
}

export const CLASSES = ['ants', 'bees'];

export function hymenopteraAvailable(): boolean {
  return fs.existsSync(path.join(HYMENOPTERA_DIR, 'train')) && fs.existsSync(path.join(HYMENOPTERA_DIR, 'val'));
}

export function loadHymenoptera(): LabelledPhoto[] {
  const out: LabelledPhoto[] = [];
  for (const split of ['train', 'val'] as const) {
    CLASSES.forEach((cls, label) => {
      const dir = path.join(HYMENOPTERA_DIR, split, cls);
      for (const name of fs.readdirSync(dir).sort()) {
        const file = path.join(dir, name);
        const bytes = fs.readFileSync(file);
        out.push({
          id: `${split}/${cls}/${name}`,
          contentHash: createHash('sha256').update(bytes).digest('hex'),
          read: async () => bytes,
          file,
          label,
          split,
        });
      }
    });
  }
  return out;
}
