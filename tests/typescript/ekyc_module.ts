/**
 * The browser helper's ES module, through its declarations (ekyc.d.ts, imported as "django-ekyc"), held to the
 * schema: what the module says the API answers must be what the generated schema types say it answers, so the
 * hand-written declarations cannot drift from the API. Compiled by tests/test_typescript_client.py, never run.
 */
import { bind, bindAll, start } from "django-ekyc";
import type { EkycError, ErrorBody, FieldError, Started, Transaction } from "django-ekyc";

import type { components } from "./generated/schema";

type Schemas = components["schemas"];

// Each way round: a schema value is a declared value, and a declared value is a schema value.
export function fromSchema(transaction: Schemas["KycTransaction"], started: Schemas["BrowserStarted"]): void {
  const declared: Transaction = transaction;
  const declaredStart: Started = started;
  const back: Schemas["KycTransaction"] = declared;
  const backStart: Schemas["BrowserStarted"] = declaredStart;
  void back;
  void backStart;
}

export function errorFromSchema(error: Schemas["Error"], field: Schemas["FieldError"]): ErrorBody {
  const declaredField: FieldError = field;
  void declaredField;
  return error;
}

export async function startFromAButton(button: HTMLButtonElement, status: HTMLElement): Promise<string> {
  bind(button, { productCode: "eKYC_PRO", docType: () => "00000001", errorTarget: status });
  bindAll();
  try {
    const started = await start({ productCode: "eKYC_PRO", redirect: false });
    return started.transaction_url;
  } catch (caught) {
    const error = caught as EkycError;
    // @ts-expect-error the helper's error code is a string: "network", "http_<status>" or the API's own code
    const wrong: number = error.code;
    void wrong;
    return error.status === 429 ? "later" : error.message;
  }
}
