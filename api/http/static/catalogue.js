/* The catalogue page, enhanced: results as you type, facets, sorting and paging without reloads.
 *
 * The server renders the same page completely (this file only improves it). The URL always
 * holds the state, so links, reloads and the back button work. Data from the API is put in the
 * page with textContent and createElement only, never as HTML.
 */
(() => {
  "use strict";

  const configNode = document.getElementById("catalogue-config");
  const form = document.getElementById("search-form");
  if (!configNode || !form || !window.fetch || !window.URLSearchParams) return;
  const config = JSON.parse(configNode.textContent);
  const msg = config.messages;
  const $ = (id) => document.getElementById(id);
  const input = $("q");
  const results = document.querySelector(".results");
  const count = $("results-count");
  const cards = $("cards");
  const authorityCards = $("authority-cards");
  const empty = $("empty");
  const pager = $("pager");
  const chips = $("chips");
  const notice = $("notice");
  const facetGroups = $("facet-groups");
  const decadeGroup = $("decade-group");
  const filtersClear = $("filters-clear");
  const sortSelect = $("sort");
  const timeForm = $("time-form");
  const sortForm = $("sort-form");

  // the filters the page offers a facet for, then those it only carries (a map place)
  const allFilters = [...config.filters, ...(config.hiddenFilters || [])];
  const TYPE_DELAY = 280;      // ms of quiet before a keystroke searches
  const SETTLE_DELAY = 1500;   // ms of quiet before a typed search counts as "settled"
  const SLOW_AFTER = 300;      // ms before the busy indicator shows
  const TIMEOUT = 10000;       // ms before a search is given up

  // ---- state <-> URL ----------------------------------------------------------------------

  function stateFrom(search) {
    const params = new URLSearchParams(search);
    const filters = {};
    for (const name of allFilters) {
      const values = params.getAll(name).filter(Boolean);
      if (values.length) filters[name] = [...new Set(values)];
    }
    const sort = params.get("sort");
    const size = Number(params.get("size"));
    return {
      q: (params.get("q") || "").replace(/\s+/g, " ").trim().slice(0, config.maxQuery),
      filters,
      era: config.eras[params.get("era")] ? params.get("era") : "",
      yearFrom: params.get("year_from") || "",
      yearTo: params.get("year_to") || "",
      sort: config.sorts.includes(sort) ? sort : "relevance",
      size: config.pageSizes.includes(size) ? size : config.pageSizes[0],
      page: Math.max(1, parseInt(params.get("page"), 10) || 1),
    };
  }

  function pageQuery(state, overrides = {}) {
    const s = Object.assign({}, state, overrides);
    const params = new URLSearchParams();
    if (s.q) params.append("q", s.q);
    for (const name of allFilters) {
      for (const value of s.filters[name] || []) params.append(name, value);
    }
    if (s.era) params.append("era", s.era);
    else {
      if (s.yearFrom !== "") params.append("year_from", s.yearFrom);
      if (s.yearTo !== "") params.append("year_to", s.yearTo);
    }
    if (s.sort !== "relevance") params.append("sort", s.sort);
    if (s.size !== config.pageSizes[0]) params.append("size", String(s.size));
    if (s.page > 1) params.append("page", String(s.page));
    return params.toString();
  }

  function pageUrl(state, overrides) {
    const query = pageQuery(state, overrides);
    return query ? `/?${query}` : "/";
  }

  function apiUrl(state) {
    const params = new URLSearchParams(pageQuery(state));
    const from = state.yearFrom, to = state.yearTo;  // an era travels as era= (its boundary rule)
    if (from !== "" && from !== null && from !== undefined) params.set("year_from", String(from));
    if (to !== "" && to !== null && to !== undefined) params.set("year_to", String(to));
    if (from !== "" && to !== "" && from !== null && to !== null && Number(to) < Number(from)) {
      params.set("year_from", String(to));
      params.set("year_to", String(from));
    }
    params.set("size", String(state.size));
    params.set("lang", config.lang);
    params.set("facets", config.filters.join(","));
    return `/api/search?${params}`;
  }

  function toggled(state, name, value) {
    const filters = Object.assign({}, state.filters);
    const current = filters[name] || [];
    filters[name] = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
    if (!filters[name].length) delete filters[name];
    return { filters, page: 1 };
  }

  // ---- DOM builders (text only) -----------------------------------------------------------

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function format(key, values = {}) {
    return msg[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  }

  function number(n) {
    return Number(n).toLocaleString("en-US");
  }

  // A highlight snippet keeps <mark> and nothing else: parsed in an inert document, copied as text.
  function snippet(html) {
    const doc = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html");
    const out = el("p", { class: "card__snippet" });
    for (const node of doc.body.firstChild.childNodes) {
      if (node.nodeType === Node.ELEMENT_NODE && node.nodeName === "MARK") {
        out.append(el("mark", { text: node.textContent }));
      } else {
        out.append(document.createTextNode(node.textContent));
      }
    }
    return out;
  }

  function card(item) {
    const media = el("div", { class: "card__media" });
    if (item.thumbnail_url) {
      media.append(el("img", { src: item.thumbnail_url, alt: "", loading: "lazy", decoding: "async" }));
    } else {
      media.append(el("span", { class: "card__placeholder", text: msg["card.no_image"] }));
    }
    if (item.media_type !== "image") {
      media.append(el("span", { class: "card__badge", text: config.mediaTypes[item.media_type] || item.media_type }));
    }
    const meta = el("p", { class: "card__meta" });
    if (item.category_label) meta.append(el("span", { text: item.category_label }));
    if (item.region) meta.append(el("span", { text: item.region }));
    if (item.date_label) meta.append(el("span", { class: "card__date", text: item.date_label }));
    const body = el(
      "div",
      { class: "card__body" },
      el("h3", { class: "card__title" }, el("a", { href: item.page_url, text: item.title })),
      item.highlights && item.highlights.description ? snippet(item.highlights.description) : null,
      meta
    );
    return el("li", { class: "card" }, media, body);
  }

  function facetOption(state, name, fv) {
    const link = el(
      "a",
      {
        class: fv.selected ? "facet__option is-selected" : "facet__option",
        href: pageUrl(state, toggled(state, name, fv.value)),
        "aria-current": fv.selected ? "true" : null,
        "data-facet": name,
        "data-value": fv.value,
      },
      el("span", { class: "facet__label", text: fv.label }),
      fv.selected ? el("span", { class: "visually-hidden", text: ` ${msg["facet.selected"]}` }) : null,
      el("span", { class: "facet__count", text: number(fv.count) })
    );
    return el("li", {}, link);
  }

  function facetValues(state, data, name) {
    const chosen = state.filters[name] || [];
    const values = (data.facets[name] || []).map((v) => Object.assign({}, v));
    for (const value of chosen) {
      if (!values.some((v) => v.value === value)) values.push({ value, label: value, count: 0 });
    }
    for (const v of values) {
      v.selected = chosen.includes(v.value);
      if (name === "collection") v.label = config.collections[v.value] || v.value;
    }
    if (name === "decade") values.sort((a, b) => Number(a.value) - Number(b.value));
    return values;
  }

  function facet(state, data, name, heading) {
    const values = facetValues(state, data, name);
    if (!values.length) return null;
    const section = el("section", {
      class: "facet",
      "data-facet": name,
      "aria-labelledby": heading ? `facet-${name}` : null,
      "aria-label": heading ? null : config.facetNames[name],
    });
    if (heading) section.append(el("h3", { class: "facet__title", id: `facet-${name}`, text: config.facetNames[name] }));
    const shown = config.facetShown;
    section.append(el("ul", { class: "facet__list" }, ...values.slice(0, shown).map((v) => facetOption(state, name, v))));
    if (values.length > shown) {
      const rest = values.slice(shown);
      const more = el(
        "details",
        { class: "facet__more", open: rest.some((v) => v.selected) },
        el("summary", { text: format("facet.more", { n: rest.length }) }),
        el("ul", { class: "facet__list" }, ...rest.map((v) => facetOption(state, name, v)))
      );
      section.append(more);
    }
    return section;
  }

  function renderFacets(state, data) {
    const openMore = new Set(
      [...document.querySelectorAll(".facet__more[open]")].map((d) => d.closest(".facet").dataset.facet)
    );
    facetGroups.replaceChildren(
      ...config.filters.filter((n) => n !== "decade").map((n) => facet(state, data, n, true)).filter(Boolean)
    );
    decadeGroup.replaceChildren(...[facet(state, data, "decade", false)].filter(Boolean));
    for (const details of document.querySelectorAll(".facet__more")) {
      if (openMore.has(details.closest(".facet").dataset.facet)) details.open = true;
    }
  }

  function renderChips(state, data) {
    const labels = {};
    for (const name of config.filters) {
      for (const v of facetValues(state, data, name)) labels[`${name}\u0000${v.value}`] = v.label;
    }
    const items = [];
    for (const name of allFilters) {
      for (const value of state.filters[name] || []) {
        items.push(chip(pageUrl(state, toggled(state, name, value)), config.facetNames[name],
          labels[`${name}\u0000${value}`] || value));
      }
    }
    for (const found of data.understood || []) {
      const years = `${found.year_from ?? "…"}–${found.year_to ?? "…"}`;
      items.push(chip(pageUrl(state, { q: found.without, page: 1 }), config.facetNames.time,
        `${found.label} (${years})`));
    }
    let from = state.yearFrom, to = state.yearTo;
    if (state.era) [from, to] = config.eras[state.era];
    if ((from !== "" && from !== null) || (to !== "" && to !== null)) {
      const text = `${from === "" || from === null ? "…" : from}–${to === "" || to === null ? "…" : to}`;
      items.push(chip(pageUrl(state, { era: "", yearFrom: "", yearTo: "", page: 1 }), config.facetNames.time, text));
    }
    chips.replaceChildren(...items);
    chips.hidden = !items.length;
    filtersClear.hidden = !items.length;
    const mapLink = document.getElementById("map-link");  // the same search, on the map
    if (mapLink) {
      const query = new URLSearchParams(pageQuery(state, { sort: "relevance", size: config.pageSizes[0], page: 1 }));
      mapLink.href = query.toString() ? `/map?${query}` : "/map";
    }
    filtersClear.querySelector("a").href = pageUrl({ q: state.q, filters: {}, era: "", yearFrom: "", yearTo: "", sort: state.sort, size: state.size, page: 1 });
  }

  function chip(href, field, label) {
    return el(
      "li",
      {},
      el(
        "a",
        { class: "chip", href },
        el("span", { class: "chip__field", text: field }),
        document.createTextNode(` ${label}`),
        el("span", { class: "chip__x", "aria-hidden": "true", text: "×" }),
        el("span", { class: "visually-hidden", text: ` ${msg["facet.remove"]}` })
      )
    );
  }

  function pageNumbers(page, pages) {
    const wanted = new Set([1, pages, page - 2, page - 1, page, page + 1, page + 2]);
    const shown = [...wanted].filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b);
    const out = [];
    for (const n of shown) {
      if (out.length && n - out[out.length - 1] > 1) out.push(null);
      out.push(n);
    }
    return out;
  }

  function renderPager(state, data) {
    const pages = Math.max(1, Math.ceil(data.total / state.size));
    pager.hidden = pages < 2;
    if (pages < 2) return pager.replaceChildren();
    const page = Math.min(data.page, pages);
    const list = el("ul");
    const step = (n, key, rel) =>
      n >= 1 && n <= pages
        ? el("a", { href: pageUrl(state, { page: n }), rel, text: msg[key] })
        : el("span", { class: "pager__off", text: msg[key] });
    list.append(el("li", {}, step(page - 1, "pager.previous", "prev")));
    for (const n of pageNumbers(page, pages)) {
      if (n === null) list.append(el("li", {}, el("span", { class: "pager__gap", text: "…" })));
      else {
        list.append(el("li", {}, el("a", {
          href: pageUrl(state, { page: n }),
          "aria-current": n === page ? "page" : null,
          "aria-label": n === page ? null : format("pager.page", { n }),
          text: String(n),
        })));
      }
    }
    list.append(el("li", {}, step(page + 1, "pager.next", "next")));
    pager.replaceChildren(list);
  }

  function authorityCard(a) {
    const item = el("li", { class: "authority-card", "data-kind": a.kind },
      el("a", { class: "authority-card__name", href: a.url, text: a.name }));
    if (a.other_name) item.append(" ", el("span", { class: "authority-card__other", text: a.other_name }));
    item.append(" ", el("span", { class: "authority-card__kind", text: a.kind_label }));
    for (const meta of [a.list_number, a.level_label, a.region]) {
      if (meta) item.append(" ", el("span", { class: "authority-card__meta", text: meta }));
    }
    return item;
  }

  function renderAuthorities(state, data) {
    if (!authorityCards) return;
    const shown = state.page === 1 ? data.authorities || [] : [];
    authorityCards.replaceChildren(...shown.map(authorityCard));
    authorityCards.hidden = !shown.length;
  }

  function render(state, data) {
    count.textContent = data.total === 1 ? msg["results.count_one"] : format("results.count", { n: number(data.total) });
    cards.replaceChildren(...data.items.map(card));
    empty.hidden = data.items.length > 0;
    if (!data.items.length) {
      empty.replaceChildren(
        el("h3", { class: "empty__title", text: state.q ? format("results.none_for", { q: state.q }) : msg["results.none_title"] }),
        el("p", { text: msg["results.none_body"] })
      );
    }
    renderFacets(state, data);
    renderAuthorities(state, data);
    renderChips(state, data);
    renderPager(state, data);
    notice.hidden = true;
    notice.replaceChildren();
  }

  function syncControls(state) {
    if (document.activeElement !== input) input.value = state.q;
    sortSelect.value = state.sort;
    $("era").value = state.era;
    $("year_from").value = state.era ? "" : state.yearFrom;
    $("year_to").value = state.era ? "" : state.yearTo;
    const base = state.q ? format("search.title_for", { q: state.q }) + " – " : "";
    document.title = base + config.siteName;
    for (const link of document.querySelectorAll("[data-switch-lang]")) {
      const query = pageQuery(state);
      link.href = `/?${query ? query + "&" : ""}lang=${link.dataset.switchLang}`;
    }
  }

  // ---- fetching ---------------------------------------------------------------------------

  let controller = null;
  let settleTimer = 0;
  let typeTimer = 0;
  let typingEntry = false; // the history entry being typed into (replaced, not pushed)
  let current = stateFrom(location.search);

  function showError(state, retry) {
    const button = el("button", { type: "button", class: "button button--quiet", text: msg["results.retry"] });
    button.addEventListener("click", retry);
    notice.replaceChildren(
      el("p", { class: "notice--error", text: msg["results.error"] }),
      cards.children.length ? el("p", { text: msg["results.stale"] }) : null,
      button
    );
    notice.hidden = false;
    count.textContent = msg["results.error"];
  }

  async function search(state, { mode = "replace", settled = false, focus = false } = {}) {
    current = state;
    if (mode === "push") window.history.pushState(state, "", pageUrl(state));
    else if (mode === "replace") window.history.replaceState(state, "", pageUrl(state));
    syncControls(state);
    if (controller) controller.abort();
    const mine = (controller = new AbortController());
    const timeout = setTimeout(() => mine.abort(), TIMEOUT);
    const slow = setTimeout(() => {
      results.setAttribute("aria-busy", "true");
      count.textContent = msg["results.loading"];
    }, SLOW_AFTER);
    try {
      const response = await fetch(apiUrl(state), { signal: mine.signal, headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      if (mine !== controller) return;
      render(state, data);
      if (settled) logSettled(state);
      if (focus) count.focus();
    } catch (error) {
      if (mine !== controller) return; // superseded by a newer search
      showError(state, () => search(state, { mode: "none", settled }));
    } finally {
      clearTimeout(timeout);
      clearTimeout(slow);
      if (mine === controller) results.removeAttribute("aria-busy");
    }
  }

  // The demand map counts the searches people settle on, not every keystroke.
  function logSettled(state) {
    if (state.page !== 1 || !(state.q || Object.keys(state.filters).length || state.era || state.yearFrom || state.yearTo)) return;
    fetch("/api/insights/searches", {
      method: "POST",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query: pageQuery(state) }),
    }).catch(() => {});
  }

  function navigate(overrides, focus = true) {
    typingEntry = false;
    clearTimeout(settleTimer);
    search(Object.assign({}, current, overrides), { mode: "push", settled: true, focus });
  }

  // ---- events -----------------------------------------------------------------------------

  input.addEventListener("input", () => {
    clearTimeout(typeTimer);
    clearTimeout(settleTimer);
    typeTimer = setTimeout(() => {
      const q = input.value.replace(/\s+/g, " ").trim().slice(0, config.maxQuery);
      if (q === current.q) return;
      const next = Object.assign({}, current, { q, page: 1 });
      const mode = typingEntry ? "replace" : "push";
      typingEntry = true;
      search(next, { mode });
      settleTimer = setTimeout(() => {
        typingEntry = false;
        logSettled(current);
      }, SETTLE_DELAY);
    }, TYPE_DELAY);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typeTimer);
    const q = input.value.replace(/\s+/g, " ").trim().slice(0, config.maxQuery);
    if (q === current.q) {
      // already showing: Enter only settles a search still being typed
      if (typingEntry) {
        typingEntry = false;
        clearTimeout(settleTimer);
        logSettled(current);
      }
      return;
    }
    navigate({ q, page: 1 }, false);
  });

  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a.facet__option, a.chip, .pager a, #filters-clear a, .search-hero__examples a");
    if (!link) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || url.pathname !== "/") return;
    event.preventDefault();
    const next = stateFrom(url.search);
    navigate(next, Boolean(link.closest(".pager")));
  });

  sortSelect.addEventListener("change", () => navigate({ sort: sortSelect.value, page: 1 }, false));
  sortForm.addEventListener("submit", (event) => event.preventDefault());

  timeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const era = $("era").value;
    navigate({
      era,
      yearFrom: era ? "" : $("year_from").value.trim(),
      yearTo: era ? "" : $("year_to").value.trim(),
      page: 1,
    }, false);
  });
  $("era").addEventListener("change", () => timeForm.requestSubmit());

  window.addEventListener("popstate", () => {
    typingEntry = false;
    clearTimeout(settleTimer);
    search(stateFrom(location.search), { mode: "none" });
  });

  // Narrow screens: filters start folded away under their heading.
  const filters = $("filters");
  if (window.matchMedia("(max-width: 52rem)").matches && !Object.keys(current.filters).length) filters.open = false;

  count.setAttribute("tabindex", "-1");
  window.history.replaceState(current, "", location.href);
})();
