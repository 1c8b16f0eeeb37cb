import { existsSync, mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { createProgram, enroll } from "./support/fixtures.js";
import { createHarness, type Harness, type Tenant } from "./support/harness.js";
import { listen } from "./support/listen.js";

// GraphiQL in a real headless Chromium, against a server on a real port, offline: its scripts
// come from the server itself. Debian's chromium; .ci/run installs it when it is missing.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = new URL("./artifacts/", import.meta.url);

let h: Harness;
let tenant: Tenant;
let server: Awaited<ReturnType<typeof listen>> | undefined;
let url: string;
let browser: Browser;
let programKey: string;

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.workspace("Browser");
  programKey = (await createProgram(tenant, [{ key: "shirt", type: "SELECT", options: [{ value: "m", label: "Medium" }] }])).key;
  await enroll(tenant, programKey, { person: { firstName: "Hedy", lastName: "Lamarr" }, customFields: [{ key: "shirt", value: "m" }] });
  const app = createApp({
    db: h.db,
    config: { graphiql: true },
    logger: pino({ level: "silent" }),
    graphiqlHeaders: { Authorization: `Bearer ${tenant.adminKey}` },
  });
  server = await listen(app);
  url = server.origin;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await h?.close();
});

describe("GraphiQL", () => {
  it.skipIf(!existsSync(CHROMIUM))("runs a participants query with the API key in its headers and shows the result", async () => {
    const page = await browser.newPage();
    const offline: string[] = [];
    page.on("requestfailed", (r) => offline.push(r.url()));
    const query = `{ participants(programKey: "${programKey}") { totalCount edges { node { firstName customFields { displayValue } } } } }`;
    await page.goto(`${url}/graphql?query=${encodeURIComponent(query)}`);
    await page.locator(".graphiql-execute-button").click({ timeout: 30_000 });
    const response = page.locator(".graphiql-response");
    await expect.poll(() => response.innerText(), { timeout: 30_000 }).toContain("Hedy");
    // Monaco renders spaces as no-break spaces.
    const text = (await response.innerText()).replace(/\s+/g, " ");
    expect(text).toContain('"totalCount": 1');
    expect(text).toContain("Medium");
    await page.getByText("Headers").first().click();
    await expect.poll(async () => (await page.locator(".graphiql-editor-tool").innerText()).replace(/\s+/g, " "), { timeout: 10_000 }).toContain(tenant.adminKey);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL("graphiql.png", ARTIFACTS).pathname, fullPage: true });
    expect(offline.filter((u) => u.startsWith(url))).toEqual([]);
    await page.close();
  });
});
