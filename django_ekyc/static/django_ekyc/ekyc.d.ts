/**
 * Types of django-ekyc's browser helper, the ES module ekyc.mjs (the classic ekyc.js defines the same three
 * functions as window.DjangoEkyc). tests/e2e/test_scripts.py checks that the names declared here are the
 * module's exports.
 */

/** A value, or a function that gives it when the button is pressed (or start is called). */
export type Lazy<T> = T | (() => T);

/** What start sends and how; every field is optional. */
export interface StartOptions {
  /** The start endpoint; default "/ekyc/api/transactions/". */
  url?: Lazy<string>;
  /** The provider's ProductCode; default: the first of the site's PRODUCTS. */
  productCode?: Lazy<string>;
  /** The document, for products that read one (a certificate code such as "01000000"). */
  docType?: Lazy<string>;
  /** "reverify": a face check of the signed-in user against their own passed verification. */
  purpose?: Lazy<"verify" | "reverify">;
  /** The provider's SceneCode: up to 10 letters, digits or underscores. */
  sceneCode?: Lazy<string>;
  /** Presentation options the site allows (FRONTEND_OPTIONS). */
  options?: Lazy<Record<string, unknown>>;
  /** Django's CSRF token; default: the "csrftoken" cookie. */
  csrfToken?: Lazy<string>;
  /** false: stay on the page and resolve with the API's answer; default true (go to the provider's page). */
  redirect?: boolean;
}

/** bind's options: start's, and where its messages go. */
export interface BindOptions extends StartOptions {
  /** Where "Starting…" and an error are said (made a role=status live region when it has no role);
   * default: the element named by the button's data-error-target. */
  errorTarget?: HTMLElement | null;
  /** Your own error handling, instead of showing error.message in errorTarget. */
  onError?: (error: EkycError) => void;
}

/** A verification as the API shows it to its user: the outcome, no identity data. */
export interface Transaction {
  id: string;
  status: "created" | "initialized" | "passed" | "failed" | "error" | "expired";
  verdict: "created" | "initialized" | "passed" | "failed" | "error" | "expired" | "in_review" | "verify_again";
  is_final: boolean;
  purpose: "verify" | "reverify";
  product_code: string;
  channel: "web" | "app" | "server";
  doc_type: string;
  doc_type_label: string;
  scene_code: string;
  passed: boolean | null;
  sub_code: string;
  error_code: string;
  /** The state in words for the person, in the request's language. */
  message: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

/** The answer to a browser's start: the verification, and the provider's page (single use). */
export interface Started extends Transaction {
  channel: "web";
  transaction_url: string;
}

/** One refusal of one field of a start. */
export interface FieldError {
  code: string;
  /** For people, in the request's language. */
  message: string;
}

/** The API's error body. */
export interface ErrorBody {
  code: string;
  detail: string;
  /** With invalid_request: per field (non_field_errors for the body as a whole), its refusals. */
  fields?: Record<string, FieldError[]>;
  provider_code?: string | null;
  transaction?: Transaction;
}

/** How start fails. */
export interface EkycError extends Error {
  /** The API's code; "http_<status>" for an answer without one, "network", "sdk_missing". */
  code: string;
  /** The HTTP status; 0 for "network" and "sdk_missing". */
  status: number;
  /** The API's error body ({} when it sent none; absent for "network" and "sdk_missing"). */
  response?: ErrorBody | Record<string, never>;
}

/** Start a verification now (call it from a user's action: every call creates one). Resolves with the API's
 * answer; unless redirect is false, the browser is on its way to the provider's page. */
export declare function start(options?: StartOptions): Promise<Started>;

/** Start when the button is pressed; returns the button. */
export declare function bind<T extends HTMLElement>(button: T, options?: BindOptions): T;

/** Bind every [data-ekyc-start] button of the page not bound yet. */
export declare function bindAll(): void;
