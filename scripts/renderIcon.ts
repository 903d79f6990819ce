// Renders media/icon.svg to the 128×128 media/icon.png that the manifest names, in Debian's Chromium.
// Run after editing the SVG: `node --import tsx scripts/renderIcon.ts`; the PNG is committed.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(__dirname, '..');
const svg = readFileSync(path.join(root, 'media', 'icon.svg'), 'utf8');

async function main(): Promise<void> {
  const browser = await chromium.launch({ executablePath: process.env.TI_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
    await page.locator('svg').screenshot({ path: path.join(root, 'media', 'icon.png'), omitBackground: true });
  } finally {
    await browser.close();
  }
}

void main();
