/*
 * Kosodate: small progressive enhancements. Every page and form works without this file; it
 * only adds comfort. No inline script anywhere (CSP with nonces), no build step.
 *
 * Hooks for templates (all generic; the sign-in and registration pages use them):
 *
 *   [data-error-summary]        The error summary (templates/includes/form_errors.html). Focused
 *                               when the page loads (or htmx swaps it in), so screen readers read
 *                               it first; its links move focus to the field and show its label.
 *
 *   input[type=password]        Gets a "show password" toggle button right after it (SECURITY.md
 *                               6.2.7): aria-pressed shows the state; the words come from
 *                               <body data-password-show="表示" data-password-show-label="パスワードを表示">
 *                               (base.html, translated). Opt out with data-no-password-toggle.
 *                               The field goes back to hidden when its form is submitted.
 *
 *   [data-capslock-warning]     A warning element, e.g.
 *                               <p class="input-warning" data-capslock-warning="id_password" hidden>
 *                                 {% translate "Caps Lock is on." %}</p>
 *                               The value lists input ids (space-separated); empty means every
 *                               password field in the same form. Shown while Caps Lock is on and
 *                               one of those fields has focus.
 *
 *   [data-fullwidth-warning]    Same shape; shown while one of the fields contains full-width
 *                               characters (全角: full-width letters, digits and spaces, kana,
 *                               kanji), the usual sign that the Japanese input mode was left on.
 *                               Empty value means every email, password and text field in the form.
 *
 *   .table-wrap                 A wide table's scrolling box. While its table is wider than the
 *                               screen, it becomes focusable (tabindex="0") so keyboard users can
 *                               scroll it (WCAG 2.1.1), named after the table's <caption> if any.
 *
 * The warnings stay hidden without JavaScript. With it, the element loses `hidden`, becomes a
 * polite live region and is emptied; its text is put back while the warning applies, so screen
 * readers announce it (CSS .input-warning:empty hides the empty box).
 */
(function () {
  "use strict";

  var FULLWIDTH = /[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60\uffe0-\uffe6]/;

  function once(element, key) {
    var flag = "kosodate" + key;
    if (element.dataset[flag]) return false;
    element.dataset[flag] = "1";
    return true;
  }

  function each(root, selector, callback) {
    var matches = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) matches.unshift(root);
    matches.forEach(callback);
  }

  // --- Error summary ------------------------------------------------------------------------
  function initErrorSummary(root) {
    var summary = root.querySelector ? root.querySelector("[data-error-summary]") : null;
    if (root.matches && root.matches("[data-error-summary]")) summary = root;
    if (!summary || !once(summary, "Summary")) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!field) return;
      event.preventDefault();
      // Show the label (or legend) with the field, not just the field at the top edge.
      var label =
        (field.id && document.querySelector("label[for='" + CSS.escape(field.id) + "']")) ||
        (field.closest("fieldset") && field.closest("fieldset").querySelector("legend"));
      (label || field).scrollIntoView({ block: "start" });
      field.focus({ preventScroll: true });
    });
  }

  // --- Show password -------------------------------------------------------------------------
  function initPasswordToggle(input) {
    if (input.hasAttribute("data-no-password-toggle") || !once(input, "Toggle")) return;
    var words = document.body.dataset;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "password-toggle";
    button.textContent = input.dataset.passwordShow || words.passwordShow || "Show";
    button.setAttribute(
      "aria-label",
      input.dataset.passwordShowLabel || words.passwordShowLabel || "Show password"
    );
    button.setAttribute("aria-pressed", "false");
    if (input.id) button.setAttribute("aria-controls", input.id);

    var wrapper = document.createElement("div");
    wrapper.className = "password-field";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);
    wrapper.appendChild(button);

    function setVisible(visible) {
      input.type = visible ? "text" : "password";
      button.setAttribute("aria-pressed", visible ? "true" : "false");
    }
    button.addEventListener("click", function () {
      setVisible(input.type === "password");
    });
    // Browsers and password managers only save what was typed into a password field.
    if (input.form) {
      input.form.addEventListener("submit", function () {
        setVisible(false);
      });
    }
  }

  // --- Caps Lock and full-width warnings --------------------------------------------------------
  function warningTargets(warning, attribute, fallbackSelector) {
    var ids = (warning.getAttribute(attribute) || "").split(/\s+/).filter(Boolean);
    if (ids.length) {
      return ids
        .map(function (id) {
          return document.getElementById(id);
        })
        .filter(Boolean);
    }
    var scope = warning.closest("form") || document;
    return Array.prototype.slice.call(scope.querySelectorAll(fallbackSelector));
  }

  function makeLiveWarning(warning) {
    var text = warning.textContent.trim();
    warning.removeAttribute("hidden");
    warning.setAttribute("aria-live", "polite");
    warning.classList.add("input-warning");
    warning.textContent = "";
    return function show(on) {
      var wanted = on ? text : "";
      if (warning.textContent !== wanted) warning.textContent = wanted;
    };
  }

  function initCapsLockWarning(warning) {
    if (!once(warning, "Caps")) return;
    var inputs = warningTargets(warning, "data-capslock-warning", "input[type=password]");
    if (!inputs.length) return;
    var show = makeLiveWarning(warning);
    function update(event) {
      if (event.getModifierState) show(event.getModifierState("CapsLock"));
    }
    inputs.forEach(function (input) {
      input.addEventListener("keydown", update);
      input.addEventListener("keyup", update);
      input.addEventListener("blur", function () {
        show(false);
      });
    });
  }

  function initFullWidthWarning(warning) {
    if (!once(warning, "Fullwidth")) return;
    var inputs = warningTargets(
      warning,
      "data-fullwidth-warning",
      "input[type=email], input[type=password], input[type=text]"
    );
    if (!inputs.length) return;
    var show = makeLiveWarning(warning);
    function update() {
      show(
        inputs.some(function (input) {
          return FULLWIDTH.test(input.value);
        })
      );
    }
    inputs.forEach(function (input) {
      // compositionend: the IME commits kana/kanji without an ordinary input event in some browsers.
      input.addEventListener("input", update);
      input.addEventListener("compositionend", update);
    });
    update();
  }

  // --- Wide tables ------------------------------------------------------------------------------
  function updateTableWrap(wrap) {
    var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    if (scrolls && !wrap.hasAttribute("tabindex")) {
      wrap.setAttribute("tabindex", "0");
      wrap.dataset.kosodateFocusable = "1";
      var caption = wrap.querySelector("caption");
      if (caption && !wrap.hasAttribute("aria-label") && !wrap.hasAttribute("aria-labelledby")) {
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", caption.textContent.trim());
      }
    } else if (!scrolls && wrap.dataset.kosodateFocusable) {
      // Only undo what this script did; a tabindex written in the template stays.
      wrap.removeAttribute("tabindex");
      delete wrap.dataset.kosodateFocusable;
    }
  }

  function updateTableWraps() {
    each(document, ".table-wrap", updateTableWrap);
  }

  function init(root) {
    each(root, ".table-wrap", updateTableWrap);
    each(root, "input[type=password]", initPasswordToggle);
    each(root, "[data-capslock-warning]", initCapsLockWarning);
    each(root, "[data-fullwidth-warning]", initFullWidthWarning);
    initErrorSummary(root);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      init(document);
    });
  } else {
    init(document);
  }
  var resizeTimer;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(updateTableWraps, 150);
  });
  // htmx fires htmx:load on every piece of content it swaps in.
  document.addEventListener("htmx:load", function (event) {
    init(event.target);
  });
})();
