// Opens the page in Debian's Chromium (never a downloaded browser) and prints what the app reports.
import { chromium } from "playwright-core";

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage();
  await page.goto(process.argv[2]!);
  await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined, undefined, { timeout: 20_000 });
  console.log(JSON.stringify(await page.evaluate(() => (window as { result?: unknown }).result)));
} finally {
  await browser.close();
}
