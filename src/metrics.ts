import { createHistogram, type PrometheusTracingPluginConfig } from "@graphql-yoga/plugin-prometheus";
import { Counter, type Registry } from "prom-client";

// Every label value comes from a small fixed set: a label taken from the request (its URL, an
// operation name, an error path) would let any caller, even one without a key, add series
// until the process runs out of memory.
const ENDPOINTS = new Set(["/graphql", "/health", "/ready", "/metrics"]);
const endpointOf = (request: Request) => {
  const path = new URL(request.url).pathname;
  return ENDPOINTS.has(path) ? path : "other";
};

/** The metrics served at /metrics: request, phase and error counts and durations, per operation type. */
export function boundedMetrics(registry: Registry): Pick<PrometheusTracingPluginConfig, "metrics" | "labels"> {
  return {
    labels: { operationName: false, fieldName: false, typeName: false, returnType: false, path: false, url: false },
    metrics: {
      graphql_envelop_request_duration: true,
      graphql_envelop_phase_execute: true,
      graphql_envelop_error_result: true,
      // It walks every document's AST on every request; the schema has no deprecated field.
      graphql_envelop_deprecated_field: false,
      graphql_envelop_request_time_summary: false,
      graphql_yoga_http_duration: createHistogram({
        registry,
        histogram: {
          name: "graphql_yoga_http_duration",
          help: "Time spent on HTTP connection",
          labelNames: ["method", "statusCode", "endpoint", "operationType"],
        },
        fillLabelsFn: (params, { request, response }) => ({
          method: ["GET", "POST"].includes(request.method) ? request.method : "other",
          statusCode: response.status,
          endpoint: endpointOf(request),
          operationType: params.operationType ?? "unknown",
        }),
      }),
    },
  };
}

/** Reads a direct plan was made for, by who answered them: the plan, or ordinary execution. */
export function directReadCounter(registry: Registry): Counter<"answeredBy"> {
  return new Counter({
    name: "participant_graph_direct_reads_total",
    help: "Participant reads with a direct plan, by what answered them (direct: PostgreSQL's JSON as it is; resolvers: ordinary execution)",
    labelNames: ["answeredBy"],
    registers: [registry],
  });
}
