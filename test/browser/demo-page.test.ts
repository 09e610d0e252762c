import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { artifactDir, describeInBrowser, useBrowser } from "../helpers/browser.js";
import { startUserctl } from "../helpers/spawn-userctl.js";

// What a newcomer does: `userctl serve`, open the printed URL, use the page.
// Needs `npm run build` (npm test and npm run test:browser run it first).

describeInBrowser("the demo page served by userctl serve", () => {
  const browser = useBrowser();
  let serve: { child: ChildProcess; exited: Promise<number | null> } | undefined;
  let pageUrl = "";

  beforeAll(async () => {
    const started = await startUserctl(["serve", "--port", "0"], /demo page: (\S+)/);
    serve = started;
    pageUrl = started.match[1]!;
  }, 20_000);

  afterAll(async () => {
    serve?.child.kill("SIGTERM");
    expect(await serve?.exited).toBe(0);
  });

  it("prints a URL carrying the token in the fragment, which browsers never send", () => {
    expect(pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w%-]+$/);
  });

  it("creates a user, shows it in the table and the live events, explains a bad email inline, and deletes it", async () => {
    const page = await browser().newPage({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));

    await page.goto(pageUrl);
    await expect.poll(() => page.getAttribute("#health", "data-status")).toBe("SERVING");

    // Create: the row appears in the table and the event arrives over the WatchUsers stream.
    await page.fill('#create-form input[name="name"]', "Ada Lovelace");
    await page.fill('#create-form input[name="email"]', "ada@example.com");
    await page.fill('#create-form input[name="age"]', "36");
    await page.click('#create-form button[type="submit"]');
    await page.locator("#users tr", { hasText: "ada@example.com" }).waitFor();
    await page.locator("#events li", { hasText: "CREATED ada@example.com" }).waitFor();
    expect(await page.textContent("#status")).toBe("created ada@example.com");

    // A bad email: the server's BadRequest field violation lands next to the email field.
    await page.fill('#create-form input[name="name"]', "Bad Email");
    await page.fill('#create-form input[name="email"]', "not-an-email");
    await page.click('#create-form button[type="submit"]');
    const emailError = page.locator('[data-error-for="email"]');
    await expect.poll(() => emailError.textContent()).toContain("@");
    expect(await page.getAttribute('#create-form input[name="email"]', "aria-invalid")).toBe("true");
    expect(await page.textContent('[data-error-for="name"]')).toBe("");
    expect(await page.locator("#users tr").count()).toBe(1);

    await page.screenshot({ path: join(artifactDir, "demo-page.png"), fullPage: true });

    // Delete: the row goes and the DELETED event arrives.
    await page.click('#users tr button[aria-label="delete ada@example.com"]');
    await page.locator("#events li", { hasText: "DELETED ada@example.com" }).waitFor();
    await expect.poll(() => page.locator("#users tr").count()).toBe(0);
    expect(await page.textContent("#total")).toBe("0 in all");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("pages through more users than fit on one page", async () => {
    const page = await browser().newPage();
    await page.goto(pageUrl);
    for (let i = 1; i <= 7; i++) {
      await page.fill('#create-form input[name="name"]', `User ${i}`);
      await page.fill('#create-form input[name="email"]', `user${i}@example.com`);
      await page.click('#create-form button[type="submit"]');
      await page.locator("#status", { hasText: `created user${i}@example.com` }).waitFor();
    }
    await expect.poll(() => page.textContent("#total")).toBe("7 in all");
    await expect.poll(() => page.locator("#users tr").count()).toBe(5);
    await page.click("#next");
    await expect.poll(() => page.textContent("#page")).toBe("page 2");
    await expect.poll(() => page.locator("#users tr").count()).toBe(2);
    await page.click("#prev");
    await expect.poll(() => page.locator("#users tr").count()).toBe(5);
    expect(await page.isDisabled("#prev")).toBe(true);
    await page.close();
  });

  it("says the token is wrong instead of failing silently", async () => {
    const page = await browser().newPage();
    await page.goto(pageUrl.replace(/#token=.*/, "#token=wrong"));
    await expect.poll(() => page.textContent("#status")).toMatch(/ListUsers failed: Unauthenticated: .*check the token/);
    await page.close();
  });
});
