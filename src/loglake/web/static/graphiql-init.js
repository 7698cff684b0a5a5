// GraphiQL on /graphql: queries go to the same URL as JSON POSTs, with the page's cookies
// (the sign-in token, when the server needs one). No inline script: the CSP forbids it.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = root.getAttribute("data-endpoint");
  var example = [
    "# Ask the lake: select the fields you want. The schema is in the Docs panel.",
    "{",
    "  summary { interactions users failed avgResponseMs p95ResponseMs }",
    "  counts(interval: DAY) { bucket interactions users }",
    "  topQuestions(limit: 5) { question count }",
    "  topics(limit: 5) { topic count }",
    "}",
    ""
  ].join("\n");
  function fetcher(params) {
    return fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(params)
    }).then(function (response) { return response.json(); });
  }
  root.textContent = "";
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: example })
  );
})();
