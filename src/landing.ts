import type { Plugin } from "graphql-yoga";

/** `GET /` says where the API is, instead of an empty 404. */
export function landing(graphqlEndpoint: string): Plugin {
  const html = `<!doctype html><html lang=en><meta charset=utf-8><title>participant-graph</title>
<p>participant-graph: GraphQL and GraphiQL at <a href="${graphqlEndpoint}">${graphqlEndpoint}</a>; liveness <a href="/health">/health</a>, readiness <a href="/ready">/ready</a>, metrics <a href="/metrics">/metrics</a>.</p></html>\n`;
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== "/" || (request.method !== "GET" && request.method !== "HEAD")) return;
      const wantsJson = !request.headers.get("accept")?.includes("text/html");
      endResponse(
        wantsJson
          ? fetchAPI.Response.json({ graphql: graphqlEndpoint, health: "/health", ready: "/ready", metrics: "/metrics" })
          : new fetchAPI.Response(html, { headers: { "content-type": "text/html; charset=utf-8" } }),
      );
    },
  };
}
