import { expect, type Locator, type Page } from '@playwright/test';

export type ViewName = 'projects' | 'library' | 'train' | 'experiments' | 'evaluate' | 'export' | 'predict';

/** Clicks a left-nav button and waits until its view is the current one. */
export async function showView(page: Page, view: ViewName): Promise<void> {
  const button = page.getByTestId(`nav-${view}`);
  await button.click();
  await expect(button).toHaveAttribute('aria-current', 'page');
}

/** One moment the loss chart changed: how many epochs it drew, and whether the run was still going. */
export interface ChartStep {
  epochs: number;
  running: boolean;
}

/** The browser APIs the in-page recorder uses (this tsconfig has no DOM library on purpose). */
interface RecorderGlobals {
  document: {
    body: unknown;
    querySelector(selector: string): { getAttribute(name: string): string | null } | null;
  };
  MutationObserver: new (
    callback: () => void,
  ) => {
    observe(
      target: unknown,
      options: { childList: boolean; subtree: boolean; attributes: boolean; attributeFilter: string[] },
    ): void;
  };
  __graftChartSteps?: ChartStep[];
}

/** The Train view: preflight findings, settings, the Train button, live progress and curves. */
export class TrainPage {
  readonly trainButton: Locator;
  readonly warnings: Locator;
  readonly progress: Locator;
  readonly phase: Locator;
  readonly epochCount: Locator;
  readonly lossChart: Locator;
  readonly accuracyChart: Locator;
  readonly outcome: Locator;
  readonly openEvaluation: Locator;

  constructor(readonly page: Page) {
    this.trainButton = page.getByTestId('train-button');
    this.warnings = page.getByTestId('train-warning');
    this.progress = page.getByTestId('train-progress');
    this.phase = page.getByTestId('train-phase');
    this.epochCount = page.getByTestId('epoch-count');
    this.lossChart = page.getByTestId('loss-chart');
    this.accuracyChart = page.getByTestId('accuracy-chart');
    this.outcome = page.getByTestId('train-outcome');
    this.openEvaluation = page.getByTestId('open-evaluation');
  }

  async show(): Promise<void> {
    await showView(this.page, 'train');
    await expect(this.page.getByRole('heading', { name: 'Train', level: 1 })).toBeVisible();
  }

  warning(code: string): Locator {
    return this.page.locator(`[data-testid="train-warning"][data-code=${JSON.stringify(code)}]`);
  }

  /**
   * Records, from now on, every epoch count the loss chart shows and whether the run was still
   * in progress then: epochs can arrive faster than a locator polls, so a DOM observer in the
   * page keeps each step. Returns a function that reads what was seen.
   */
  async recordLossChart(): Promise<() => Promise<ChartStep[]>> {
    await this.page.evaluate(() => {
      const w = globalThis as unknown as RecorderGlobals;
      const { document } = w;
      const steps: ChartStep[] = [];
      w.__graftChartSteps = steps;
      const look = () => {
        const value = document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-epochs');
        if (value === null || value === undefined) return;
        const epochs = Number(value);
        const running = document.querySelector('[data-testid="train-progress"]') !== null;
        const last = steps[steps.length - 1];
        if (!last || last.epochs !== epochs || last.running !== running) steps.push({ epochs, running });
      };
      new w.MutationObserver(look).observe(document.body, {
        childList: true,
        subtree: true,
        attributes: true,
        attributeFilter: ['data-epochs'],
      });
    });
    return () => this.page.evaluate(() => (globalThis as unknown as RecorderGlobals).__graftChartSteps ?? []);
  }

  /** Presses Train with the settings as they are; the run starts. */
  async start(): Promise<void> {
    await expect(this.trainButton).toBeEnabled();
    await this.trainButton.click();
    await expect(this.outcome.or(this.progress)).toBeVisible();
  }

  /** Waits until the run ends and checks how. */
  async expectOutcome(status: 'finished' | 'failed' | 'cancelled', timeout = 60_000): Promise<void> {
    await expect(this.outcome).toBeVisible({ timeout });
    await expect(this.outcome).toHaveAttribute('data-status', status);
    await expect(this.progress).toHaveCount(0);
  }

  async epochs(): Promise<number> {
    return Number(await this.epochCount.textContent());
  }
}
