// The single-page order app of the demo system (/spa/): plain JavaScript, no build step, no CDN.
// Client-side routing between the order screen (/spa/) and the list (/spa/orders); every message,
// the receipt and the list are created when shown and removed when they go (nothing stale stays
// hidden in the page). The server decides when the notice modal shows.
(function () {
  "use strict";

  var root = document.getElementById("spa");
  var csrf = root.dataset.csrf;
  var views = { order: document.getElementById("view_order"), orders: document.getElementById("view_orders") };
  var form = document.getElementById("order_form");
  var fields = document.getElementById("order_fields");
  var submit = document.getElementById("order_submit");
  var orderMessages = document.getElementById("order_messages");
  var receiptArea = document.getElementById("receipt_area");
  var ordersArea = document.getElementById("orders_area");
  var pageInfo = document.getElementById("page_info");
  var prev = document.getElementById("prev_page");
  var next = document.getElementById("next_page");
  var query = document.getElementById("q_request_no");
  var listState = { page: 1, pages: 1, q: "" };
  var FIELD_ORDER = ["依頼番号", "頭部", "胴体", "脚部", "配送先", "数量"];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function SessionGone() {}

  function sessionExpired() {
    var box = document.getElementById("spa_messages");
    if (document.getElementById("session_expired")) { return; }
    var banner = el("div", { id: "session_expired", "class": "session-expired", role: "alert" },
      "セッションの有効期限が切れました。");
    var link = el("a", { href: "/login?next=" + encodeURIComponent(location.pathname) }, "再度ログイン");
    banner.appendChild(link);
    banner.appendChild(document.createTextNode("してください。"));
    box.appendChild(banner);
  }

  // One request to the JSON API. A login page instead of JSON means the session lapsed.
  function api(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = csrf;
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) {
        if (response.redirected) { sessionExpired(); throw new SessionGone(); }
        return { status: response.status, data: {} };
      }
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }

  // --- routing -------------------------------------------------------------------------------------
  function viewOf(path) {
    return path.replace(/\/+$/, "").endsWith("/orders") ? "orders" : "order";
  }

  function show(view) {
    Object.keys(views).forEach(function (name) { views[name].hidden = name !== view; });
    document.querySelectorAll(".spa-tabs a").forEach(function (link) {
      if (link.dataset.route === view) { link.setAttribute("aria-current", "page"); }
      else { link.removeAttribute("aria-current"); }
    });
    document.body.dataset.kzPage = "spa_" + view;
    if (view === "orders") {
      var params = new URLSearchParams(location.search);
      listState.q = params.get("q") || "";
      query.value = listState.q;
      loadPage(parseInt(params.get("page") || "1", 10) || 1);
    }
  }

  document.querySelectorAll(".spa-tabs a").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      history.pushState({}, "", link.getAttribute("href"));
      show(link.dataset.route);
    });
  });
  window.addEventListener("popstate", function () { show(viewOf(location.pathname)); });

  // --- the notice modal ------------------------------------------------------------------------------
  // Shown over the form when the server says so: on some loads of the order screen (decided with
  // the page) and on some of the forms opened by 続けて注文する (decided with the last receipt). It
  // is created synchronously, so it is there as soon as the page or the new form is.
  var noticeNext = false;

  function showNotice() {
    var backdrop = el("div", { id: "notice", "class": "modal-backdrop" });
    var dialog = el("div", { "class": "modal", role: "dialog", "aria-modal": "true",
      "aria-labelledby": "notice_title", "aria-describedby": "notice_text" });
    dialog.appendChild(el("h2", { id: "notice_title" }, "ご利用にあたっての注意"));
    dialog.appendChild(el("p", { id: "notice_text" },
      "この画面から送信した注文は、受付後に取り消すことができません。依頼番号と配送先をよく確かめてから注文してください。"));
    var ok = el("button", { type: "button", id: "notice_ok", "class": "primary" }, "確認しました");
    ok.addEventListener("click", function () {
      backdrop.parentNode.removeChild(backdrop);
      fields.disabled = false;
    });
    var buttons = el("div", { "class": "buttons" });
    buttons.appendChild(ok);
    dialog.appendChild(buttons);
    backdrop.appendChild(dialog);
    fields.disabled = true;
    document.body.appendChild(backdrop);
  }

  // --- the order form --------------------------------------------------------------------------------
  // The catalogue comes with the shell (as many SPAs bootstrap their first data), so the radio
  // group is there as soon as the page has loaded.
  function renderCatalogue(catalogue) {
    var head = document.getElementById("head");
    catalogue.heads.forEach(function (name) { head.appendChild(el("option", { value: name }, name)); });
    var bodies = document.getElementById("bodies");
    catalogue.bodies.forEach(function (name) {
      var label = el("label", { "class": "radio" });
      label.appendChild(el("input", { type: "radio", name: "body", value: name }));
      label.appendChild(document.createTextNode(" " + name));
      bodies.appendChild(label);
    });
  }

  function formValues() {
    var body = form.querySelector("input[name=body]:checked");
    return {
      "依頼番号": form.elements.request_no.value,
      "頭部": form.elements.head.value,
      "胴体": body ? body.value : "",
      "脚部": form.elements.legs.value,
      "配送先": form.elements.address.value,
      "数量": form.elements.qty.value
    };
  }

  function showErrors(errors) {
    var list = el("ul", { id: "order_errors", "class": "errors", role: "alert" });
    FIELD_ORDER.forEach(function (name) {
      if (errors[name]) { list.appendChild(el("li", {}, errors[name])); }
    });
    orderMessages.appendChild(list);
  }

  function showFailure(message) {
    orderMessages.appendChild(el("div", { id: "order_error", "class": "alert alert-danger", role: "alert" },
      message || "注文を送信できませんでした。この注文は登録されていません。もう一度お試しください。"));
  }

  function showReceipt(order) {
    form.hidden = true;
    var section = el("section", { id: "receipt", "class": "receipt-panel", "aria-labelledby": "receipt_title" });
    section.appendChild(el("h2", { id: "receipt_title" }, "注文を受け付けました"));
    var number = el("p", {}, "受付番号：");
    number.appendChild(el("span", { id: "receipt_no", "class": "receipt" }, order["受付番号"]));
    section.appendChild(number);
    var table = el("table", { "class": "list", id: "receipt_table" });
    FIELD_ORDER.concat(["受付日時"]).forEach(function (name) {
      var row = el("tr");
      row.appendChild(el("th", { scope: "row" }, name));
      row.appendChild(el("td", {}, order[name]));
      table.appendChild(row);
    });
    section.appendChild(table);
    var again = el("button", { type: "button", id: "order_another" }, "続けて注文する");
    again.addEventListener("click", newOrder);
    var buttons = el("div", { "class": "buttons" });
    buttons.appendChild(again);
    section.appendChild(buttons);
    receiptArea.appendChild(section);
  }

  function newOrder() {
    clear(receiptArea);
    clear(orderMessages);
    form.reset();
    form.hidden = false;
    if (noticeNext) {
      noticeNext = false;
      showNotice();
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (submit.disabled) { return; }
    clear(orderMessages);  // at once: an earlier failure must not be read as this submit's answer
    submit.disabled = true;
    api("POST", "/spa/api/orders", formValues()).then(function (answer) {
      if (answer.status === 201) {
        noticeNext = answer.data.notice_next === true;
        showReceipt(answer.data.order);
      }
      else if (answer.status === 400 && answer.data.errors) { showErrors(answer.data.errors); }
      else { showFailure(answer.data.error); }
    }).catch(function (error) {
      if (!(error instanceof SessionGone)) { showFailure(); }
    }).then(function () { submit.disabled = false; });
  });

  // --- the list ----------------------------------------------------------------------------------------
  function loadPage(number) {
    clear(ordersArea);
    prev.disabled = true;
    next.disabled = true;
    var url = "/spa/api/orders?page=" + number + (listState.q ? "&q=" + encodeURIComponent(listState.q) : "");
    return api("GET", url).then(function (answer) {
      var data = answer.data;
      listState.page = data.page;
      listState.pages = data.pages;
      clear(ordersArea);
      var total = el("p", { id: "orders_total" }, "全 ");
      total.appendChild(el("span", { id: "total_count" }, data.total));
      total.appendChild(document.createTextNode(" 件"));
      ordersArea.appendChild(total);
      if (!data.items.length) {
        ordersArea.appendChild(el("p", { "class": "no-results", role: "status" }, "該当する注文はありません"));
      } else {
        var table = el("table", { "class": "list", id: "orders_table" });
        var head = el("tr");
        ["受付番号"].concat(FIELD_ORDER, ["受付日時"]).forEach(function (name) {
          head.appendChild(el("th", { scope: "col" }, name));
        });
        var thead = el("thead");
        thead.appendChild(head);
        table.appendChild(thead);
        var tbody = el("tbody");
        data.items.forEach(function (order) {
          var row = el("tr");
          row.appendChild(el("td", { "class": "o_receipt_no" }, order["受付番号"]));
          FIELD_ORDER.forEach(function (name, i) { row.appendChild(el("td", { "class": "o_" + i }, order[name])); });
          row.appendChild(el("td", { "class": "o_created_at" }, order["受付日時"]));
          tbody.appendChild(row);
        });
        table.appendChild(tbody);
        ordersArea.appendChild(table);
      }
      pageInfo.textContent = data.page + " / " + data.pages + " ページ";
      prev.disabled = data.page <= 1;
      next.disabled = data.page >= data.pages;
    }).catch(function () {});
  }

  prev.addEventListener("click", function () { loadPage(listState.page - 1); });
  next.addEventListener("click", function () { loadPage(listState.page + 1); });
  document.getElementById("orders_search").addEventListener("submit", function (event) {
    event.preventDefault();
    listState.q = query.value.trim();
    history.replaceState({}, "", "/spa/orders" + (listState.q ? "?q=" + encodeURIComponent(listState.q) : ""));
    loadPage(1);
  });

  renderCatalogue(JSON.parse(document.getElementById("catalogue").textContent));
  if (root.dataset.notice === "1") { showNotice(); }
  show(root.dataset.view);
}());
