/** The screens of the left nav, in order. A new screen adds an entry here and a view in App. */
export const NAV_ITEMS = [
  { id: 'projects', label: 'Projects', needsProject: false },
  { id: 'library', label: 'Library', needsProject: true },
  { id: 'health', label: 'Health', needsProject: true },
  { id: 'train', label: 'Train', needsProject: true },
  { id: 'experiments', label: 'Experiments', needsProject: true },
  { id: 'evaluate', label: 'Evaluate', needsProject: true },
  { id: 'adapt', label: 'Adapt', needsProject: true },
  { id: 'export', label: 'Export', needsProject: true },
  { id: 'predict', label: 'Predict', needsProject: true },
] as const;

export type ViewId = (typeof NAV_ITEMS)[number]['id'];
