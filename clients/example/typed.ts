// Compiles only if codegen typed every scalar as the README says.
import type { ParticipantsQuery, PostPaymentMutationVariables } from "./__generated__/graphql";

type Node = ParticipantsQuery["participants"]["edges"][number]["node"];

export const createdAt: string = null as unknown as Node["createdAt"];
export const totalPaid: string = null as unknown as Node["financials"][number]["totalPaid"];
export const attributes: Record<string, unknown> = null as unknown as Node["attributes"];
export const value: unknown = null as unknown as Node["customFields"][number]["value"];
export const amount: PostPaymentMutationVariables["input"]["amount"] = "450.00";
// @ts-expect-error: Decimal is a string, never a number
export const notANumber: PostPaymentMutationVariables["input"]["amount"] = 450;
