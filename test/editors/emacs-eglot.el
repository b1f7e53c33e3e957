;;; emacs-eglot.el --- drives eglot against dist/server.js (test/editors/emacs.test.ts) -*- lexical-binding: t -*-
;; Inputs from the environment: ML_INIT (the README's Emacs setup, with its paths filled in),
;; ML_FILE (the manifest to open) and ML_OUT (where to write what happened, as JSON). Works with
;; Emacs 28 and eglot 1.9 from ELPA (Debian 12: elpa-eglot) and with Emacs 29's built-in eglot.
(require 'package)
(package-initialize)                    ; activates Debian's elpa-eglot on Emacs 28
(require 'eglot)
(require 'json)

(defvar ml-steps nil)
(defvar ml-out nil "An alist written to ML_OUT at the end.")
(defun ml-step (name) (push name ml-steps))
(defun ml-put (key value) (push (cons key value) ml-out))
(defun ml-wait (pred seconds)
  "Runs timers and process output until PRED holds or SECONDS pass; PRED's last value."
  (let ((end (+ (float-time) seconds)))
    (while (and (not (funcall pred)) (< (float-time) end))
      (accept-process-output nil 0.05))
    (funcall pred)))

(defun ml-diagnostics ()
  "The buffer's flymake diagnostics as eglot made them: LSP code, severity, 0-based line and columns."
  (mapcar (lambda (d)
            (let ((lsp (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data d))))
                  (beg (flymake-diagnostic-beg d))
                  (end (flymake-diagnostic-end d)))
              `((code . ,(plist-get lsp :code))
                (severity . ,(plist-get lsp :severity))
                (type . ,(symbol-name (flymake-diagnostic-type d)))
                (message . ,(flymake-diagnostic-text d))
                (line . ,(save-excursion (goto-char beg) (1- (line-number-at-pos))))
                (col . ,(save-excursion (goto-char beg) (current-column)))
                (end_col . ,(save-excursion (goto-char end) (current-column)))
                (beg . ,beg) (end . ,end))))
          (flymake-diagnostics)))
(defun ml-find (code) (seq-find (lambda (d) (equal (alist-get 'code d) code)) (ml-diagnostics)))

(condition-case err
    (progn
      (load (getenv "ML_INIT") nil t)
      (ml-put 'emacs emacs-version)
      (ml-put 'eglot (if (fboundp 'eglot--version) (eglot--version) (or (bound-and-true-p eglot-version) "?")))
      (find-file (getenv "ML_FILE"))
      (ml-put 'mode (symbol-name major-mode))
      (eglot-ensure)
      (run-hooks 'post-command-hook)    ; eglot-ensure connects from a command loop hook
      (unless (ml-wait #'eglot-current-server 30) (error "eglot did not connect"))
      (ml-step "started")

      ;; 1. The diagnostic on the seed case.
      (ml-wait (lambda () (ml-find "mixed-config-media-type")) 20)
      (ml-put 'diagnostics (ml-diagnostics))
      (ml-step "diagnostics")

      ;; 2. The hover on the config mediaType (line 4, character 30, 0-based).
      (goto-char (point-min)) (forward-line 4) (forward-char 30)
      (ml-put 'hover (plist-get (jsonrpc-request (eglot-current-server) :textDocument/hover
                                                 (eglot--TextDocumentPositionParams))
                                :contents))
      (ml-step "hover")

      ;; 3. Error tolerance: a comma typed after the last layer's closing brace; the error stays.
      (goto-char (point-max))
      (re-search-backward "^ +}$")
      (end-of-line)
      (let ((at (point)))
        (insert ",")
        (ml-wait (lambda () nil) 1.5)
        (ml-put 'broken_diagnostics (ml-diagnostics))
        (delete-region at (1+ at)))
      (ml-wait (lambda () nil) 1.5)
      (ml-step "tolerance")

      ;; 4. The quick-fix, asked for at the diagnostic and applied the way eglot applies one.
      (let* ((d (ml-find "mixed-config-media-type"))
             (actions (and d (eglot-code-actions (alist-get 'beg d) (alist-get 'end d) nil nil)))
             (chosen (seq-find (lambda (a) (string-prefix-p "Set config mediaType to application/vnd.oci.image.config.v1+json" (plist-get a :title))) actions)))
        (ml-put 'actions (vconcat (mapcar (lambda (a) (plist-get a :title)) actions)))
        (when chosen
          (condition-case nil
              (eglot--apply-workspace-edit (plist-get chosen :edit))
            (wrong-number-of-arguments (eglot--apply-workspace-edit (plist-get chosen :edit) 'test)))
          (save-buffer)
          (ml-step "applied")
          (ml-wait (lambda () (not (ml-find "mixed-config-media-type"))) 15)
          (ml-put 'after_fix (ml-diagnostics))))
      (ml-put 'text (buffer-substring-no-properties (point-min) (point-max))))
  (error (ml-put 'error (error-message-string err))))

(ml-put 'steps (vconcat (reverse ml-steps)))
(with-temp-file (getenv "ML_OUT")
  (insert (let ((json-encoding-pretty-print nil)) (json-encode ml-out))))
(kill-emacs 0)
