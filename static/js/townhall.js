// Live town hall: new questions, votes, answers and "answering now" appear
// without reloading, through the town hall's Server-Sent Events; votes are
// sent in place. Without JavaScript the page works with its forms and shows
// the news on reload. Text from citizens and politicians is only ever put
// in with textContent, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("townhall");
  if (!root) {
    return;
  }
  var id = root.getAttribute("data-townhall");
  var list = document.getElementById("questions");
  var tmpl = document.getElementById("question-template");
  var status = document.getElementById("live-status");
  var sort = root.getAttribute("data-sort");

  function votesText(n) {
    var t = root.getAttribute(n === 1 ? "data-votes-one" : "data-votes-many");
    return n === 1 ? t : t.replace("7", String(n));
  }
  function say(text) {
    if (status) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
  }
  function card(qid) {
    return document.getElementById("q-" + qid);
  }
  function setVotes(li, n) {
    li.setAttribute("data-votes", String(n));
    var v = li.querySelector(".q-votes");
    if (v) {
      v.textContent = votesText(n);
    }
  }
  function place(li) {
    if (sort === "new") {
      list.insertBefore(li, list.firstChild);
      return;
    }
    var n = Number(li.getAttribute("data-votes"));
    var items = list.querySelectorAll("li.question-card");
    for (var i = 0; i < items.length; i++) {
      if (items[i] !== li && Number(items[i].getAttribute("data-votes")) < n) {
        list.insertBefore(li, items[i]);
        return;
      }
    }
    list.appendChild(li);
  }
  function addAnswer(li, a) {
    var ul = li.querySelector(".answers");
    var item = document.createElement("li");
    item.className = "answer";
    var by = document.createElement("p");
    by.className = "answer-by";
    var name = document.createElement("strong");
    name.textContent = a.politician;
    by.appendChild(name);
    by.appendChild(document.createTextNode(", " + (a.role || root.getAttribute("data-role"))));
    var text = document.createElement("p");
    text.className = "answer-text";
    text.textContent = a.text;
    item.appendChild(by);
    item.appendChild(text);
    ul.appendChild(item);
    li.classList.add("answered");
    var mark = li.querySelector(".q-answered");
    if (mark) {
      mark.hidden = false;
    }
  }
  function addQuestion(q) {
    if (card(q.id) || !tmpl) {
      return;
    }
    var empty = document.getElementById("no-questions");
    if (empty) {
      empty.remove();
    }
    var li = tmpl.content.firstElementChild.cloneNode(true);
    li.id = "q-" + q.id;
    var text = li.querySelector(".question-text");
    text.textContent = q.text;
    text.id = "qt-" + q.id;
    li.querySelector(".q-name").textContent = q.display_name || root.getAttribute("data-anonymous");
    setVotes(li, q.votes);
    var form = li.querySelector("form.vote-form");
    if (form) {
      form.setAttribute("action", "/townhalls/" + id + "/questions/" + q.id + "/vote");
      form.querySelector("button").setAttribute("aria-describedby", "qt-" + q.id);
      wire(form);
    }
    (q.answers || []).forEach(function (a) { addAnswer(li, a); });
    place(li);
    say(root.getAttribute("data-said-new"));
  }
  function wire(form) {
    form.addEventListener("submit", function (ev) {
      if (!window.fetch) {
        return;
      }
      ev.preventDefault();
      var li = form.closest("li.question-card");
      var qid = li.id.slice(2);
      var withdraw = form.querySelector("input[name=withdraw]");
      var button = form.querySelector("button");
      var undo = withdraw.value === "1";
      fetch("/api/v1/questions/" + qid + "/votes", {
        method: undo ? "DELETE" : "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: "{}"
      }).then(function (r) {
        if (!r.ok) {
          throw new Error(String(r.status));
        }
        return r.json();
      }).then(function (body) {
        setVotes(li, body.votes);
        withdraw.value = undo ? "0" : "1";
        button.setAttribute("aria-pressed", undo ? "false" : "true");
        button.classList.toggle("button-secondary", !undo);
      }).catch(function () {
        form.submit();
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form.vote-form"), wire);

  if (!window.EventSource || root.getAttribute("data-phase") === "ended") {
    return;
  }
  var handlers = {
    "question.approved": addQuestion,
    "question.voted": function (d) {
      var li = card(d.id);
      if (li) {
        setVotes(li, d.votes);
      }
    },
    "question.answered": function (d) {
      var li = card(d.id);
      if (li) {
        addAnswer(li, d.answer);
        li.classList.remove("answering");
        li.querySelector(".answering-now").hidden = true;
        say(root.getAttribute("data-said-answer"));
      }
    },
    "question.hidden": function (d) {
      var li = card(d.id);
      if (li) {
        var focused = li.contains(document.activeElement);
        li.remove();
        if (focused) {
          var h = document.getElementById("questions-heading");
          h.setAttribute("tabindex", "-1");
          h.focus();
        }
      }
    },
    "question.answering": function (d) {
      Array.prototype.forEach.call(list.querySelectorAll("li.answering"), function (li) {
        li.classList.remove("answering");
        li.querySelector(".answering-now").hidden = true;
      });
      var li = d.id && card(d.id);
      if (li) {
        li.classList.add("answering");
        li.querySelector(".answering-now").hidden = false;
      }
    },
    "townhall.status": function (d) {
      if (d.status !== root.getAttribute("data-phase")) {
        refresh();
      }
    }
  };

  // refresh reloads the page, unless a question is being typed: then it
  // offers a link to reload.
  function refresh() {
    var ask = document.getElementById("text");
    if (!ask || (ask.value.trim() === "" && document.activeElement !== ask)) {
      window.location.reload();
      return;
    }
    if (document.getElementById("reload-note")) {
      return;
    }
    var note = document.createElement("p");
    note.id = "reload-note";
    note.className = "notice";
    var a = document.createElement("a");
    a.href = window.location.pathname + window.location.search;
    a.textContent = root.getAttribute("data-said-reload");
    note.appendChild(a);
    list.parentNode.insertBefore(note, list);
    say(root.getAttribute("data-said-reload"));
  }
  // The stream. EventSource reconnects by itself after a network error, but
  // gives up for good after an error answer (e.g. 503 while an instance
  // shuts down): then reconnect here, with backoff, from the last event.
  var lastId = root.getAttribute("data-last-event") || "0";
  var backoff = 1000;
  var src = null;
  function connect() {
    src = new EventSource("/api/v1/townhalls/" + id + "/events?last_event_id=" + encodeURIComponent(lastId));
    Object.keys(handlers).forEach(function (type) {
      src.addEventListener(type, function (ev) {
        if (ev.lastEventId) {
          lastId = ev.lastEventId;
        }
        try {
          var d = JSON.parse(ev.data);
          // Events about something hidden later are redacted in replays.
          if (d && d.redacted && type !== "question.hidden") {
            return;
          }
          handlers[type](d);
        } catch (e) {
          // A malformed event is skipped; the page is right again on reload.
        }
      });
    });
    // Too far behind to be replayed: the page's state is fetched again.
    src.addEventListener("reset", function (ev) {
      if (ev.lastEventId) {
        lastId = ev.lastEventId;
      }
      refresh();
    });
    src.addEventListener("open", function () {
      backoff = 1000;
    });
    src.addEventListener("error", function () {
      if (src.readyState !== EventSource.CLOSED) {
        return; // reconnecting by itself, with Last-Event-ID
      }
      src.close();
      window.setTimeout(connect, backoff + Math.random() * backoff);
      backoff = Math.min(backoff * 2, 30000);
    });
  }
  connect();
})();
