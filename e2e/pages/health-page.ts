import { expect, type Locator, type Page } from '@playwright/test';
import type { HealthFindingKind } from '../../common/health';

/** The Health view: findings with their photos, and the fixes each offers. */
export class HealthPage {
  readonly findings: Locator;
  readonly summary: Locator;

  constructor(readonly page: Page) {
    this.findings = page.getByTestId('health-finding');
    this.summary = page.getByTestId('health-summary');
  }

  async show(): Promise<void> {
    const button = this.page.getByTestId('nav-health');
    await button.click();
    await expect(button).toHaveAttribute('aria-current', 'page');
    await expect(this.summary).toBeVisible();
  }

  finding(kind: HealthFindingKind): Locator {
    return this.page.locator(`[data-testid="health-finding"][data-kind="${kind}"]`);
  }
}
