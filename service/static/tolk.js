/* Tolk search page: small progressive enhancements. The page works without this file.
 *
 * 1. Cleaner URLs: the hidden crosslingual=false field is dropped when the switch is on.
 * 2. Suggestions while typing, from GET <data-suggest-url>?q=<whole query>&limit=8[&lang=nl|en]
 *    (the API's /api/suggest: {"suggestions": [{"text", "display", "query", "languages",
 *    "count"}]}: the last word completed in the context of the others, shown as the
 *    documents write it), as an ARIA combobox (arrow keys, Enter or a click takes one and
 *    searches, Escape closes). If the endpoint is missing or fails, nothing happens and
 *    the plain search box stays as it is.
 * 3. Instant filters (below).
 */
(function () {
  "use strict";

  var form = document.querySelector("form.search-form");
  if (!form) { return; }
  var input = form.querySelector("#q");

  form.addEventListener("submit", function () {
    var box = form.querySelector("input[type=checkbox][name=crosslingual]");
    var hidden = form.querySelector("input[type=hidden][name=crosslingual]");
    if (box && hidden && box.checked) { hidden.disabled = true; }
  });

  /* 3. Filters apply at once (the Apply button is for pages without this script); the
   *    panel stays open after a change, and opens by itself on wide screens. A typo=false
   *    ("search instead for") belongs to the query it was given for only. */
  form.classList.add("js-instant");
  var panel = form.querySelector("details.filters");
  var wide = window.matchMedia ? window.matchMedia("(min-width: 34.01rem)") : null;
  var OPEN_KEY = "tolk-filters-open";
  function storage() { try { return window.sessionStorage; } catch (e) { return null; } }
  if (panel) {
    var store = storage();
    if ((wide && wide.matches) || (store && store.getItem(OPEN_KEY))) { panel.open = true; }
    if (store) { store.removeItem(OPEN_KEY); }
    panel.addEventListener("change", function (event) {
      var target = event.target;
      if (!target || !target.name || target.type === "hidden") { return; }
      if (target.type === "date" && target.value && !target.checkValidity()) { return; }
      var s = storage();
      if (s && !(wide && wide.matches)) { s.setItem(OPEN_KEY, "1"); }
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
  }
  form.addEventListener("submit", function () {
    var typo = form.querySelector("input[type=hidden][name=typo]");
    var q = form.querySelector("#q");
    if (typo && q && q.value.trim() !== typo.getAttribute("data-for-q")) { typo.disabled = true; }
    var sort = form.querySelector("select[name=sort]");
    if (sort && sort.value === "relevance") { sort.disabled = true; }
    var dates = form.querySelectorAll("input[type=date]");
    for (var i = 0; i < dates.length; i++) { if (!dates[i].value) { dates[i].disabled = true; } }
  });

  var url = form.getAttribute("data-suggest-url");
  if (!input || !url || !window.fetch) { return; }

  var combo = input.parentNode;
  var list = document.createElement("ul");
  list.id = "q-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", document.documentElement.lang === "nl" ? "Suggesties" : "Suggestions");
  list.hidden = true;
  combo.appendChild(list);

  var status = document.createElement("div");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  combo.appendChild(status);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  var items = [];
  var active = -1;
  var timer = null;
  var seq = 0;
  var controller = null;

  function lastWord(value) {
    var match = /(\S+)$/.exec(value);
    return match ? match[1] : "";
  }

  function close() {
    list.hidden = true;
    list.textContent = "";
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function choose(index) {
    var entry = items[index];
    if (entry === undefined) { return; }
    var value = input.value;
    if (entry.query) {
      input.value = entry.query;  // the API completed the whole query
    } else {
      var word = lastWord(value);
      var head = word ? value.slice(0, value.length - word.length) : value;
      var prefix = /^[-+]/.test(word) ? word.charAt(0) : "";
      input.value = head + prefix + entry.text;
    }
    close();
    input.focus();
    // Taking a suggestion runs the search, like a search engine's box.
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function highlight(index) {
    var options = list.querySelectorAll("[role=option]");
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    active = index;
    if (index >= 0 && options[index]) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function render(suggestions) {
    close();
    suggestions.slice(0, 8).forEach(function (entry, i) {
      var text = typeof entry === "string" ? entry : entry && (entry.display || entry.text);
      if (!text) { return; }
      var li = document.createElement("li");
      li.id = "q-suggestion-" + items.length;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var word = document.createElement("span");
      var whole = entry && entry.query;
      if (whole && whole.length > text.length &&
          whole.slice(whole.length - text.length) === text) {
        var head = document.createElement("span");
        head.className = "suggestion-head";
        head.textContent = whole.slice(0, whole.length - text.length);
        word.appendChild(head);  // the words already typed, then the completion
        var tail = document.createElement("strong");
        tail.textContent = text;
        word.appendChild(tail);
      } else {
        word.textContent = text;
      }
      li.appendChild(word);
      if (entry && entry.languages && entry.languages.length) {
        var langs = document.createElement("span");
        langs.className = "langs";
        langs.textContent = entry.languages.join(" · ").toUpperCase();
        li.appendChild(langs);
      }
      var index = items.length;
      li.addEventListener("mousedown", function (event) {
        event.preventDefault();  // keep the focus in the box
        choose(index);
      });
      items.push({ text: text, query: entry && entry.query });
      list.appendChild(li);
    });
    if (items.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    status.textContent = items.length ? items.length + (document.documentElement.lang === "nl"
      ? " suggesties; gebruik de pijltjestoetsen" : " suggestions; use the arrow keys") : "";
  }

  function fetchSuggestions() {
    var word = lastWord(input.value).replace(/^[-+]/, "");
    if (word.length < 2 || /["():]/.test(word)) { close(); return; }
    var mine = ++seq;
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    var sep = url.indexOf("?") >= 0 ? "&" : "?";
    // The whole query (its last 100 characters): the API completes the last word in
    // the context of the words before it.
    var whole = input.value.replace(/^\s+/, "");
    if (whole.length > 100) { whole = whole.slice(whole.length - 100).replace(/^\S*\s*/, ""); }
    var query = "q=" + encodeURIComponent(whole || word) + "&limit=8";
    var lang = form.querySelector("input[name=lang]:checked");
    if (lang && (lang.value === "nl" || lang.value === "en")) { query += "&lang=" + lang.value; }
    fetch(url + sep + query, {
      headers: { "Accept": "application/json" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) { throw new Error("suggest " + response.status); }
      return response.json();
    }).then(function (body) {
      if (mine !== seq || document.activeElement !== input) { return; }
      render((body && body.suggestions) || []);
    }).catch(function () {
      if (mine === seq) { close(); }
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 150);
  });

  input.addEventListener("keydown", function (event) {
    if (list.hidden) {
      if (event.key === "ArrowDown" && input.value) { fetchSuggestions(); }
      return;
    }
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight(active + 1 < items.length ? active + 1 : 0);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active > 0 ? active - 1 : items.length - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();  // take the suggestion and search
      choose(active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Tab") {
      close();
    }
  });

  input.addEventListener("blur", function () {
    setTimeout(close, 100);
  });
  form.addEventListener("submit", function () {
    seq++;
    close();
  });
})();
