/**
 * A typed client of django-ekyc's API: openapi-fetch over the types openapi-typescript generates from the app's
 * schema (tests/test_typescript_client.py compiles it with tsc --strict; it is never run).
 *
 * Each `@ts-expect-error` is something a truthful schema must refuse: an answer's field that is not always there,
 * a field that may be null, an error code the API never answers with. Where the schema claims too much, the
 * expected error does not happen and tsc fails on the unused directive; where it claims too little, the code that
 * uses what the API does send fails.
 */
import createClient from "openapi-fetch";

import type { components, paths } from "./generated/schema";

type Schemas = components["schemas"];
export type Transaction = Schemas["KycTransaction"];
export type ApiError = Schemas["Error"];
export type ErrorCode = Schemas["ErrorCodeEnum"];
/** Seconds, as a 429's Retry-After header says. */
type RetryAfter = NonNullable<paths["/ekyc/api/transactions/"]["post"]["responses"][429]["headers"]["Retry-After"]>;

const api = createClient<paths>({ baseUrl: "https://shop.example", credentials: "include" });

/** The app's own bridge to the provider's app SDK (the SDK's calls are the app's: see docs/mobile.md). */
export interface NativeVerifier {
  verify(transactionId: string, protocol: string, clientCfg: string | null): Promise<void>;
}

function takesText(text: string): string {
  return text;
}

function later(seconds: RetryAfter, again: () => void): void {
  setTimeout(again, seconds * 1000);
}

// -- (a) a browser: start, go to the provider's page ------------------------------------------------------

export async function startInBrowser(docType: string, metaInfo: string, csrfToken: string): Promise<string> {
  const { data, error, response } = await api.POST("/ekyc/api/transactions/", {
    body: { doc_type: docType, meta_info: metaInfo }, // the rest (product, channel, options...) has defaults
    headers: { "X-CSRFToken": csrfToken },
  });
  if (error !== undefined) {
    return explain(error, response, () => void startInBrowser(docType, metaInfo, csrfToken));
  }
  // @ts-expect-error: only a browser's answer has the provider's page
  takesText(data.transaction_url);
  if (data.channel !== "web") {
    throw new Error(`a browser's start answered for ${data.channel}`);
  }
  // @ts-expect-error: a browser's answer has none of the app SDK's inputs
  takesText(data.transaction_id);
  window.location.assign(data.transaction_url);
  return data.message;
}

/** A re-verification before a high-risk action: the site decides everything but where the user is. */
export async function reverify(metaInfo: string, csrfToken: string): Promise<string | undefined> {
  const { data } = await api.POST("/ekyc/api/transactions/", {
    body: { purpose: "reverify", meta_info: metaInfo },
    headers: { "X-CSRFToken": csrfToken },
  });
  return data?.channel === "web" ? data.transaction_url : undefined;
}

// @ts-expect-error: meta_info is required
void api.POST("/ekyc/api/transactions/", { body: { doc_type: "01000000" } });

/** Back on the site: ask the provider for the result, and say it in words. */
export async function afterReturn(id: string): Promise<Transaction["verdict"] | undefined> {
  const { data } = await api.POST("/ekyc/api/transactions/{id}/refresh/", { params: { path: { id } } });
  if (data === undefined) {
    return undefined;
  }
  const passed: boolean | null = data.passed;
  document.title = passed === true ? data.message : `${data.message} (${data.status})`;
  return data.verdict;
}

// -- (b) an app: start, hand the provider's SDK its inputs ----------------------------------------------

export async function startInApp(metaInfo: string, token: string, sdk: NativeVerifier): Promise<void> {
  const { data, error, response } = await api.POST("/ekyc/api/transactions/", {
    body: { meta_info: metaInfo, channel: "app", product_code: "eKYC_PRO", doc_type: "GLB03002" },
    headers: { Authorization: `Bearer ${token}` },
  });
  if (error !== undefined) {
    explain(error, response, () => void startInApp(metaInfo, token, sdk));
    return;
  }
  switch (data.channel) {
    case "app":
      // @ts-expect-error: an app's answer has no page to go to
      takesText(data.transaction_url);
      // @ts-expect-error: the provider may give no Protocol
      takesText(data.protocol);
      await sdk.verify(data.transaction_id, data.protocol ?? "", data.client_cfg);
      await afterReturn(data.id);
      return;
    case "web":
      window.open(data.transaction_url);
      return;
    default: {
      const unknown: never = data; // the two answers are all there is
      throw new Error(`unexpected answer ${JSON.stringify(unknown)}`);
    }
  }
}

// -- (c) the checks from the user's pictures ------------------------------------------------------------

export async function compareFaces(face: string, reference: string, agreed: (text: string) => boolean) {
  const consents = await api.GET("/ekyc/api/consents/");
  if (consents.data === undefined) {
    return undefined;
  }
  const text = consents.data.texts.find((t) => t.purpose === "pictures");
  if (text === undefined || !agreed(text.text)) {
    return undefined;
  }
  const { data, error, response } = await api.POST("/ekyc/api/checks/", {
    body: { check: "FACE_COMPARE", consent: text.version, face, reference }, // base64 text (JSON)
  });
  if (error !== undefined) {
    return explain(error, response, () => void compareFaces(face, reference, agreed));
  }
  // @ts-expect-error: only a reading check answers with the document's facts
  void Object.keys(data.document);
  return data.verdict === "passed";
}

export async function readDocument(picture: string): Promise<string | undefined> {
  const { data } = await api.POST("/ekyc/api/checks/", { body: { check: "ID_OCR_MIN", document: picture } });
  return data?.document?.["number"];
}

export async function withdraw(purpose: string): Promise<number> {
  const { data } = await api.DELETE("/ekyc/api/consents/", { params: { query: { purpose } } });
  // @ts-expect-error: withdrawing names the purpose
  void api.DELETE("/ekyc/api/consents/", { params: { query: {} } });
  return data?.withdrawn ?? 0;
}

// -- (d) errors, by their stable code -------------------------------------------------------------------

export function explain(error: ApiError, response: Response, again: () => void): string {
  switch (error.code) {
    case "invalid_request": {
      const refusals = Object.values(error.fields ?? {}).flat();
      if (refusals.some((refusal) => refusal.code === "unknown_doc_type")) {
        return "Pick your document again.";
      }
      // @ts-expect-error: not a field error code the API answers with
      if (refusals.some((refusal) => refusal.code === "doc_type_unknown")) {
        return "";
      }
      return refusals.map((refusal) => refusal.message).join(" ");
    }
    case "throttled":
      // The body carries the header's seconds too: a cross-origin page reads it where CORS exposes no header.
      later(error.retry_after ?? Number(response.headers.get("Retry-After") ?? "60"), again);
      return error.detail;
    case "provider_unavailable":
    case "provider_throttled":
    case "provider_unreachable":
      later(30, again);
      return error.detail;
    case "csrf_failed":
    case "not_authenticated":
    case "authentication_failed":
      window.location.assign("/accounts/login/");
      return error.detail;
    case "provider_error":
      return `${error.detail} ${error.provider_code ?? ""} ${error.transaction?.status ?? ""}`;
    // @ts-expect-error: SimpleJWT's own code, which the API answers as authentication_failed
    case "token_not_valid":
      return "";
    default:
      return error.detail;
  }
}
