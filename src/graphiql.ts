import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize, sep } from "node:path";
import { renderGraphiQL, type GraphiQLOptions, type Plugin } from "graphql-yoga";
import { TOUR } from "./tour.js";

/**
 * Yoga's GraphiQL page loads its scripts from a CDN; these serve the same bundle from the
 * installed package instead, so GraphiQL works with no access to the internet.
 */
export const GRAPHIQL_ASSETS_PATH = "/graphiql-assets/";

const assetsDir = join(dirname(createRequire(import.meta.url).resolve("@graphql-yoga/graphiql/package.json")), "dist");
const CDN = /https:\/\/unpkg\.com\/@graphql-yoga\/graphiql@[^/]+\/dist\//g;
const TYPES: Record<string, string> = { ".js": "text/javascript", ".css": "text/css", ".map": "application/json" };

// GraphiQL's page links its icon from GitHub; an inline one keeps the page offline.
const REMOTE_ICON = /<link rel=icon href=https:[^>]*>/;
const ICON =
  "<link rel=icon href=\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%23e535ab'/%3E%3C/svg%3E\">";
const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Yoga's GraphiQL page, served offline: scripts from the installed package, an inline icon,
 * and the title everywhere it appears (Yoga fills in only its first place). */
export function renderLocalGraphiQL(options: GraphiQLOptions): string {
  const title = escapeHtml(options.title ?? "GraphiQL");
  return renderGraphiQL(options).replace(CDN, GRAPHIQL_ASSETS_PATH).replace(REMOTE_ICON, ICON).replaceAll("__TITLE__", title);
}

/**
 * GraphiQL opens with the tour query and its variables, unless the link it was opened from
 * carries a query of its own. GraphiQL 5 reads `query` and `variables`; it ignores `defaultQuery`
 * as soon as any query is given, which is always.
 */
export function graphiqlOptions(request: Request, headers: Record<string, string> | undefined): GraphiQLOptions {
  const linked = new URL(request.url).searchParams.has("query");
  return {
    title: "participant-graph",
    headers: headers ? JSON.stringify(headers, null, 2) : undefined,
    defaultQuery: TOUR.query,
    ...(linked ? {} : ({ query: TOUR.query, variables: JSON.stringify(TOUR.variables, null, 2) } as object)),
  };
}

export function graphiqlAssets(): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(GRAPHIQL_ASSETS_PATH)) return;
      const relative = normalize(decodeURIComponent(url.pathname.slice(GRAPHIQL_ASSETS_PATH.length)));
      const file = join(assetsDir, relative);
      if (relative.startsWith("..") || !file.startsWith(assetsDir + sep)) {
        endResponse(new fetchAPI.Response(null, { status: 404 }));
        return;
      }
      try {
        const body = await readFile(file);
        endResponse(
          new fetchAPI.Response(body, {
            headers: { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "public, max-age=86400" },
          }),
        );
      } catch {
        endResponse(new fetchAPI.Response(null, { status: 404 }));
      }
    },
  };
}
