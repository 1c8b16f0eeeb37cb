import { existsSync, mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createApp } from "../src/app.js";
import { TOUR } from "../src/tour.js";
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

  it.skipIf(!existsSync(CHROMIUM))("opens with the README's tour query and variables, its title, and nothing from the internet", async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    const compressed: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    // A response still arriving as the page closes has no headers left to read; the bundle's are read long before.
    page.on("response", (r) => {
      r.allHeaders().then(
        (headers) => headers["content-encoding"] === "gzip" && compressed.push(r.url()),
        () => {},
      );
    });
    await page.goto(`${url}/graphql`);
    const editor = page.locator(".graphiql-query-editor");
    await expect.poll(async () => (await editor.innerText()).replace(/\s+/g, " "), { timeout: 30_000 }).toContain("query Participants($programKey: String!)");
    await page.getByText("Variables").first().click();
    await expect.poll(async () => (await page.locator(".graphiql-editor-tool").innerText()).replace(/\s+/g, " "), { timeout: 10_000 }).toContain('"programKey": "summer-camp"');
    expect(await page.title()).toBe("participant-graph");
    expect(await page.locator("body").innerText()).not.toContain("__TITLE__");
    // Every request stays on this machine: the server's own origin, or data: and blob: URLs.
    expect(requested.filter((u) => !u.startsWith(url) && !/^(data|blob):/.test(u))).toEqual([]);
    // GraphiQL's bundle went out compressed, as the browser accepts gzip.
    expect(compressed.some((u) => u.endsWith("yoga-graphiql.umd.js"))).toBe(true);
    await page.close();
  });

  it("the README's tour shows the query GraphiQL opens with", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(TOUR.query);
    expect(readme).toContain(JSON.stringify(TOUR.variables).replace(/:/g, ": ").replace(/,/g, ", ").replace("{", "{ ").replace(/}$/, " }"));
  });
});
