"""The hosted verification page and the stand-in web-SDK script."""

from __future__ import annotations

from html import escape

from django_ekyc.catalogue.documents import DEFAULT_DOC_TYPES
from django_ekyc.catalogue.products import CATALOGUE
from django_ekyc.simulator.state import SimTransaction

# Stands in for https://hkwebcdn.yuncloudauth.com/cdn/jsvm_all.js: it defines
# window.getMetaInfo() returning the same shape of object the real SDK does.
WEB_SDK_JS = """\
(function () {
  "use strict";
  window.getMetaInfo = function () {
    var ua = navigator.userAgent || "";
    var mobile = /Mobi|Android|iPhone|iPad/i.test(ua);
    return {
      apdidToken: "",
      appName: window.location.hostname,
      appVersion: "",
      bioMetaInfo: "4.1.0:2916352,0",
      deviceType: mobile ? "h5" : "web",
      ua: ua
    };
  };
})();
"""

_LABELS = {
    "pass": "Complete verification: all checks pass",
    "face_mismatch": "Face does not match the document (204)",
    "liveness_attack": "Liveness check fails: photo, screen or deep-fake attack (205)",
    "document_spoof": "Document fails anti-counterfeiting (212)",
    "quit": "Quit without finishing",
    "pending": "Verdict pending (Passed=P, documented by an older eKYC page only)",
}

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.4rem}.note{background:#fff6d6;padding:.6rem .8rem;border-radius:6px;font-size:.9rem}
form{margin:.5rem 0}button{width:100%;padding:.7rem;font-size:1rem;border-radius:6px;border:1px solid #98a2b3;
background:#f5f7fa;cursor:pointer;margin:.25rem 0}
input{padding:.5rem;font-size:1rem;width:100%;box-sizing:border-box}button.primary{background:#1456f0;color:#fff;border-color:#1456f0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{color:#667085}
"""


def _page(title: str, body: str, status_note: str = "") -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{status_note}{body}</body></html>"
    )


def verification_page(tx: SimTransaction, outcomes: tuple[str, ...]) -> str:
    product = CATALOGUE.get(tx.product_code)
    doc_label = (product.doc_types if product else DEFAULT_DOC_TYPES).get(tx.doc_type, tx.doc_type)
    what = f"<dt>Document</dt><dd>{escape(doc_label)}</dd>" if tx.doc_type else "<dt>Check</dt><dd>Face liveness</dd>"
    buttons = "".join(
        f"<button type='submit' name='outcome' value='{name}' id='outcome-{name}' data-outcome='{name}'"
        f"{' class=primary' if name == 'pass' else ''}>{escape(_LABELS[name])}</button>"
        for name in outcomes
    )
    document_field = (
        "<p><label for='document'>Whose document is shown?</label><br>"
        "<input id='document' name='document' maxlength='64' placeholder='the same person' autocomplete='off'>"
        "<br><small>The same name is the same document (name and number); empty: the person's own.</small></p>"
    )
    body = (
        "<p class='note'>eKYC simulator: no camera, no real document. Choose how this verification ends.</p>"
        f"<dl><dt>Product</dt><dd>{escape(product.label if product else tx.product_code)} ({tx.product_code})</dd>"
        f"{what}<dt>Transaction</dt><dd><code>{escape(tx.transaction_id)}</code></dd></dl>"
        "<form method='post' action='/1.0.0/submit'>"
        f"<input type='hidden' name='clientcfg' value='{escape(tx.page_token)}'>"
        "<p><label for='person'>Who is in front of the camera?</label><br>"
        "<input id='person' name='person' maxlength='64' placeholder='a new person' autocomplete='off'>"
        "<br><small>The same name is the same face: use it again to be the same person.</small></p>"
        f"{document_field if tx.doc_type else ''}{buttons}</form>"
    )
    return _page("Identity verification", body)


def message_page(title: str, message: str) -> str:
    return _page(title, f"<p>{escape(message)}</p>")
