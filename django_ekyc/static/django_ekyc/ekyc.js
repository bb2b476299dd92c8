/*!
 * django-ekyc browser helper: start a verification and send the browser to the provider's page.
 *
 *   <script src="https://hkwebcdn.yuncloudauth.com/cdn/jsvm_all.js"></script>  (Alibaba's web SDK)
 *   <script src="{% static 'django_ekyc/ekyc.js' %}"></script>
 *   <script>
 *     DjangoEkyc.start({docType: "01000000", csrfToken: "{{ csrf_token }}"})
 *       .catch(function (error) { showError(error.message, error.code); });
 *   </script>
 *
 * Options: url (default "/ekyc/api/transactions/"), productCode (default: the site's), docType (for products
 * that read a document), sceneCode, options (object), csrfToken (default: the "csrftoken" cookie), redirect
 * (default true; false resolves with the API answer instead), purpose ("reverify": a face check of the signed-in
 * user against their own passed verification; the site decides how, so it takes no productCode or docType).
 * On failure the promise rejects with an Error carrying code, status and response (the API's JSON).
 */
(function (global) {
  "use strict";

  function readCookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function failure(message, code, status, response) {
    var error = new Error(message);
    error.code = code;
    error.status = status;
    error.response = response;
    return error;
  }

  function start(settings) {
    settings = settings || {};
    if (typeof global.getMetaInfo !== "function") {
      return Promise.reject(failure("The eKYC web SDK script is not loaded (getMetaInfo is missing).", "sdk_missing", 0));
    }
    var body = {
      // Unchanged, from this very device: the provider picks the mobile or PC flow from it.
      meta_info: JSON.stringify(global.getMetaInfo())
    };
    if (settings.purpose) { body.purpose = settings.purpose; }
    if (settings.productCode) { body.product_code = settings.productCode; }
    if (settings.docType) { body.doc_type = settings.docType; }
    if (settings.sceneCode) { body.scene_code = settings.sceneCode; }
    if (settings.options) { body.options = settings.options; }
    return global.fetch(settings.url || "/ekyc/api/transactions/", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": settings.csrfToken || readCookie("csrftoken")
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw failure(data.detail || "Could not start the verification.", data.code || "http_" + response.status,
                        response.status, data);
        }
        if (settings.redirect !== false) {
          global.location.assign(data.transaction_url);
        }
        return data;
      });
    });
  }

  global.DjangoEkyc = { start: start };
})(window);
