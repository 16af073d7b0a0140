/* Private notes on a trial page (issue 14): select text → note → share by passcode link.
   Anchors are W3C TextQuoteSelectors (exact + 32 characters of prefix and suffix), re-anchored
   on every load the way cartrial/engage/anchor.py does it: whitespace runs count as one space,
   the occurrence whose surroundings best match wins, no match = an orphaned note (listed, not
   lost). No framework, no CDN. */
(function () {
  "use strict";
  var CONTEXT = 32;

  function root() {
    return document.querySelector("[data-annotatable]") || document.querySelector("article.trial");
  }
  function csrf() {
    var raw = document.body.getAttribute("hx-headers");
    try { return JSON.parse(raw)["X-CSRF-Token"]; } catch (e) { return ""; }
  }
  function normalise(text) {
    var out = [], index = [], prevSpace = false;
    for (var i = 0; i < text.length; i++) {
      var ch = text[i];
      if (/\s/.test(ch)) {
        if (prevSpace) continue;
        out.push(" "); index.push(i); prevSpace = true;
      } else {
        out.push(ch); index.push(i); prevSpace = false;
      }
    }
    return { text: out.join(""), index: index };
  }
  function commonSuffix(a, b) {
    var n = 0;
    while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
    return n;
  }
  function commonPrefix(a, b) {
    var n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    return n;
  }
  function anchor(text, exact, prefix, suffix) {
    var norm = normalise(text);
    var q = exact.replace(/\s+/g, " ").trim();
    if (!q) return null;
    var p = (prefix || "").replace(/\s+/g, " "), s = (suffix || "").replace(/\s+/g, " ");
    var best = null, start = norm.text.indexOf(q);
    while (start !== -1) {
      var score = commonSuffix(norm.text.slice(Math.max(0, start - p.length), start), p) +
        commonPrefix(norm.text.slice(start + q.length, start + q.length + s.length), s);
      if (best === null || score > best[0]) best = [score, start];
      start = norm.text.indexOf(q, start + 1);
    }
    if (best === null) return null;
    return { start: norm.index[best[1]], end: norm.index[best[1] + q.length - 1] + 1 };
  }
  var SKIP = ".engage-grid, #engage-shared, script, style";
  function textNodes(el) {
    // the page's own text only: the notes panel (which quotes passages) is not annotatable
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        return node.parentElement && node.parentElement.closest(SKIP)
          ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    }), nodes = [], n;
    while ((n = walker.nextNode())) nodes.push(n);
    return nodes;
  }
  function pageText(el) {
    return textNodes(el).map(function (n) { return n.nodeValue; }).join("");
  }
  function offsetOf(el, container, offset) {
    var target = container;
    if (container.nodeType !== Node.TEXT_NODE) {
      target = container.childNodes[offset] || container;
      offset = 0;
    }
    var total = 0, nodes = textNodes(el);
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i] === target) return total + offset;
      if (target.nodeType !== Node.TEXT_NODE &&
          (target.compareDocumentPosition(nodes[i]) & Node.DOCUMENT_POSITION_FOLLOWING ||
           target.contains(nodes[i]))) return total;
      total += nodes[i].nodeValue.length;
    }
    return -1;
  }
  function highlight(el, start, end, noteId) {
    var offset = 0, segments = [];
    textNodes(el).forEach(function (node) {
      var len = node.nodeValue.length;
      var a = Math.max(start, offset), b = Math.min(end, offset + len);
      if (a < b) segments.push([node, a - offset, b - offset]);
      offset += len;
    });
    var marks = segments.map(function (seg) {
      var range = document.createRange();
      range.setStart(seg[0], seg[1]);
      range.setEnd(seg[0], seg[2]);
      var mark = document.createElement("mark");
      mark.className = "engage-hl";
      mark.setAttribute("data-note", String(noteId));
      range.surroundContents(mark);
      return mark;
    });
    var details = marks.length ? marks[0].closest("details") : null;
    if (details) details.open = true;
    return marks;
  }
  function clearHighlights(el) {
    el.querySelectorAll("mark.engage-hl").forEach(function (m) {
      var parent = m.parentNode;
      while (m.firstChild) parent.insertBefore(m.firstChild, m);
      parent.removeChild(m);
      parent.normalize();
    });
  }
  function renderNotes(notes, readonly) {
    var el = root(), list = document.getElementById("engage-note-list");
    if (!el || !list) return;
    clearHighlights(el);
    list.textContent = "";
    notes.forEach(function (n) {
      var found = anchor(pageText(el), n.exact, n.prefix, n.suffix);
      var li = document.createElement("li");
      li.className = "engage-note" + (found ? "" : " orphaned");
      li.setAttribute("data-note", String(n.id));
      var quote = document.createElement("q");
      quote.textContent = n.exact.length > 120 ? n.exact.slice(0, 117) + "…" : n.exact;
      var body = document.createElement("p");
      body.className = "engage-note-body";
      body.textContent = n.body;
      li.appendChild(quote);
      if (!found) {
        var tag = document.createElement("span");
        tag.className = "badge orphan";
        tag.textContent = "orphaned: this passage is no longer on the page";
        li.appendChild(tag);
      }
      li.appendChild(body);
      if (!readonly) {
        var del = document.createElement("button");
        del.type = "button"; del.className = "secondary small"; del.textContent = "Delete";
        del.addEventListener("click", function () { removeNote(n.id); });
        li.appendChild(del);
      }
      list.appendChild(li);
      if (found) {
        highlight(el, found.start, found.end, n.id).forEach(function (m) {
          m.title = n.body;
        });
      }
    });
  }
  function showError(message) {
    var box = document.getElementById("engage-note-error");
    if (!box) return;
    box.textContent = message; box.hidden = !message;
  }
  function request(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 204) return null;
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(typeof data.detail === "string" ? data.detail : "request refused");
        return data;
      }, function () {
        if (!r.ok) throw new Error("request refused (" + r.status + ")");
        return null;
      });
    });
  }
  var box, nct, pending = null, notes = [];
  function load() {
    return request("GET", "/notes/" + encodeURIComponent(nct)).then(function (data) {
      notes = data.notes; renderNotes(notes, false); renderShares(data.shares);
    }).catch(function (e) { showError(e.message); });
  }
  function renderShares(shares) {
    var list = document.getElementById("engage-share-list");
    if (!list) return;
    list.textContent = "";
    shares.forEach(function (sh) {
      var li = document.createElement("li");
      var state = sh.revoked ? "revoked" : "valid until " + (sh.expires_at || "").slice(0, 10);
      li.textContent = "Link of " + sh.created_at.slice(0, 10) + ", " + state + " ";
      if (!sh.revoked) {
        var btn = document.createElement("button");
        btn.type = "button"; btn.className = "secondary small"; btn.textContent = "Revoke";
        btn.addEventListener("click", function () {
          request("POST", "/notes/shares/" + sh.id + "/revoke").then(load)
            .catch(function (e) { showError(e.message); });
        });
        li.appendChild(btn);
      }
      list.appendChild(li);
    });
  }
  function removeNote(id) {
    request("POST", "/notes/" + encodeURIComponent(nct) + "/" + id + "/delete").then(load)
      .catch(function (e) { showError(e.message); });
  }
  function onSelection() {
    var sel = window.getSelection(), el = root(), form = document.getElementById("engage-note-form");
    if (!sel || sel.isCollapsed || !el || !form || !sel.rangeCount) return;
    var range = sel.getRangeAt(0);
    if (!el.contains(range.commonAncestorContainer)) return;
    if (range.commonAncestorContainer.nodeType === Node.ELEMENT_NODE &&
        range.commonAncestorContainer.closest(SKIP)) return;
    if (range.commonAncestorContainer.parentElement &&
        range.commonAncestorContainer.parentElement.closest(SKIP)) return;
    var text = pageText(el), start = offsetOf(el, range.startContainer, range.startOffset);
    var exact = range.toString();
    if (start < 0 || !exact.trim()) return;
    var end = start + exact.length;
    pending = { exact: exact, prefix: text.slice(Math.max(0, start - CONTEXT), start),
                suffix: text.slice(end, end + CONTEXT) };
    document.getElementById("engage-note-quote").textContent = exact;
    form.hidden = false;
    document.getElementById("engage-note-body").focus();
  }
  function init() {
    box = document.getElementById("engage-notes");
    if (!box) return;
    nct = box.getAttribute("data-nct");
    if (box.getAttribute("data-readonly") === "1") {
      var data = document.getElementById("engage-notes-data");
      renderNotes(data ? JSON.parse(data.textContent) : [], true);
      var first = document.querySelector("mark.engage-hl");
      if (first) first.scrollIntoView({ block: "center" });  // the recipient lands on a note
      return;
    }
    var el = root();
    if (el) {
      el.addEventListener("mouseup", function () { setTimeout(onSelection, 0); });
      el.addEventListener("keyup", function (ev) { if (ev.shiftKey) onSelection(); });
    }
    document.getElementById("engage-note-cancel").addEventListener("click", function () {
      document.getElementById("engage-note-form").hidden = true; pending = null;
    });
    document.getElementById("engage-note-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!pending) return;
      var payload = Object.assign({ body: document.getElementById("engage-note-body").value }, pending);
      request("POST", "/notes/" + encodeURIComponent(nct), payload).then(function () {
        document.getElementById("engage-note-form").hidden = true;
        document.getElementById("engage-note-body").value = "";
        pending = null; showError("");
        window.getSelection().removeAllRanges();
        return load();
      }).catch(function (e) { showError(e.message); });
    });
    document.getElementById("engage-share-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var days = parseInt(document.getElementById("engage-share-days").value, 10);
      request("POST", "/notes/" + encodeURIComponent(nct) + "/share", {
        passcode: document.getElementById("engage-share-passcode").value,
        expires_days: isNaN(days) ? null : days
      }).then(function (data) {
        var link = document.getElementById("engage-share-url");
        link.textContent = data.url; link.href = data.url;
        document.getElementById("engage-share-code").textContent = data.passcode;
        document.getElementById("engage-share-result").hidden = false;
        showError("");
        return load();
      }).catch(function (e) { showError(e.message); });
    });
    load();
  }
  window.cartrialEngage = { anchor: anchor };  // the parity test compares it with anchor.py
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
