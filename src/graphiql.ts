import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize, sep } from "node:path";
import { renderGraphiQL, type GraphiQLOptions, type Plugin } from "graphql-yoga";

/**
 * Yoga's GraphiQL page loads its scripts from a CDN; these serve the same bundle from the
 * installed package instead, so GraphiQL works with no access to the internet.
 */
export const GRAPHIQL_ASSETS_PATH = "/graphiql-assets/";

const assetsDir = join(dirname(createRequire(import.meta.url).resolve("@graphql-yoga/graphiql/package.json")), "dist");
const CDN = /https:\/\/unpkg\.com\/@graphql-yoga\/graphiql@[^/]+\/dist\//g;
const TYPES: Record<string, string> = { ".js": "text/javascript", ".css": "text/css", ".map": "application/json" };

export function renderLocalGraphiQL(options: GraphiQLOptions): string {
  return renderGraphiQL(options).replace(CDN, GRAPHIQL_ASSETS_PATH);
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
