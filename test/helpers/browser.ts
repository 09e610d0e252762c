import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe } from "vitest";

/** Debian's Chromium (apt-get install -y chromium); never a downloaded browser. */
const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
export const chromiumPath = candidates.find((path): path is string => path !== undefined && existsSync(path));

const ci = process.env.CI === "true";

/** Where screenshots and other browser artifacts go (git-ignored). */
export const artifactDir = fileURLToPath(new URL("../../test-results/browser/", import.meta.url));

/**
 * `describe` for tests that need Chromium. Without it they are skipped with
 * the reason, except under CI=true, where a missing browser fails the run.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (chromiumPath !== undefined || ci) {
    describe(name, body);
  } else {
    describe.skip(`${name} (skipped: no Chromium at ${candidates.filter(Boolean).join(" or ")}; apt-get install -y chromium)`, body);
  }
}

/** Launches one headless Chromium for the enclosing describe and closes it after. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (chromiumPath === undefined) {
      throw new Error("CI=true but Chromium is missing: .ci/run must apt-get install -y chromium");
    }
    await mkdir(artifactDir, { recursive: true });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
      timeout: 30_000,
    });
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (browser === undefined) throw new Error("the browser did not start (see the beforeAll error)");
    return browser;
  };
}

let pageLibrary: Promise<string> | undefined;

/**
 * The package's browser entry bundled for the page (esbuild, platform
 * browser), exposing it as `window.userctl`; see fixtures/page-library.ts.
 */
export function bundlePageLibrary(): Promise<string> {
  pageLibrary ??= build({
    entryPoints: [fileURLToPath(new URL("../browser/fixtures/page-library.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  }).then((result) => result.outputFiles[0]!.text);
  return pageLibrary;
}

/** An empty HTML page that loads the page library. */
export const testPageHtml = `<!doctype html><html><head><meta charset="utf-8"><title>test</title>
<script src="/__test__/page-library.js"></script></head><body></body></html>`;

/**
 * Opens a blank page *on the server's origin*: the browser serves the two
 * test files itself (page.route), every other request (the RPCs) goes to the
 * real server. Page errors and unhandled rejections fail the test via `errors`.
 */
export async function openPageOn(browser: Browser, origin: string): Promise<{ page: Page; errors: string[] }> {
  const library = await bundlePageLibrary();
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.route(`${origin}/__test__/**`, (route) => {
    const isLibrary = route.request().url().endsWith("/page-library.js");
    return route.fulfill({
      status: 200,
      contentType: isLibrary ? "text/javascript" : "text/html",
      body: isLibrary ? library : testPageHtml,
    });
  });
  await page.goto(`${origin}/__test__/page.html`);
  return { page, errors };
}
