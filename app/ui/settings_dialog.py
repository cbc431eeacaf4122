"""The settings dialog: default model, provider keys (OS keyring: shows which are configured, never the secret),
local server base URLs, security profile and limits, theme, editor font and size. Changes apply live and persist."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFontComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui import settings as S
from app.ui.models_page import ModelsPage

log = logging.getLogger(__name__)


def ask_secret(parent: QWidget, provider_label: str) -> str | None:
    """Ask for an API key with a password field (tests replace this)."""
    text, ok = QInputDialog.getText(
        parent, f"{provider_label} API key", f"API key for {provider_label}:", QLineEdit.EchoMode.Password
    )
    return text.strip() if ok and text.strip() else None


class SettingsDialog(QDialog):
    """Every widget writes through :class:`SettingsStore.update` at once (live, persisted)."""

    def __init__(self, store: S.SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.store = store
        s = store.settings
        tabs = QTabWidget()
        tabs.addTab(self._general(s), "General")
        tabs.addTab(self._providers(s), "Providers")
        tabs.addTab(self._security(s), "Security")
        self.models_page = ModelsPage(store)
        tabs.addTab(self.models_page, "Models")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        buttons.accepted.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(tabs)
        note = QLabel("Changes apply immediately and are saved.")
        note.setEnabled(False)
        lay.addWidget(note)
        lay.addWidget(buttons)
        self.tabs = tabs

    # ------------------------------------------------------------------------------------------------ pages
    def _general(self, s: S.Settings) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.addItems(list(S.MODEL_SUGGESTIONS))
        self.model.setCurrentText(s.default_model)
        self.model.setToolTip("Used when a spell does not name a model. offline/… models need no key or network.")
        self.model.currentTextChanged.connect(lambda t: t.strip() and self.store.update(default_model=t.strip()))
        self.theme = QComboBox()
        for t in S.THEMES:
            self.theme.addItem(t.capitalize(), t)
        self.theme.setCurrentIndex(list(S.THEMES).index(s.theme))
        self.theme.currentIndexChanged.connect(lambda *_: self.store.update(theme=self.theme.currentData()))
        self.font_box = QFontComboBox()
        self.font_box.setFontFilters(QFontComboBox.FontFilter.MonospacedFonts)
        self.font_box.setCurrentFont(QFont(s.font_family))
        self.font_box.currentFontChanged.connect(lambda f: self.store.update(font_family=f.family()))
        self.size_box = QSpinBox()
        self.size_box.setRange(6, 48)
        self.size_box.setValue(s.font_size)
        self.size_box.valueChanged.connect(lambda v: self.store.update(font_size=int(v)))
        self.tab_width = QSpinBox()
        self.tab_width.setRange(1, 12)
        self.tab_width.setValue(s.tab_width)
        self.tab_width.valueChanged.connect(lambda v: self.store.update(tab_width=int(v)))
        self.save_first = QCheckBox("Save the file before running it")
        self.save_first.setChecked(s.save_before_run)
        self.save_first.toggled.connect(lambda v: self.store.update(save_before_run=bool(v)))
        form.addRow("Default model", self.model)
        form.addRow("Theme", self.theme)
        form.addRow("Editor font", self.font_box)
        form.addRow("Font size", self.size_box)
        form.addRow("Tab width", self.tab_width)
        form.addRow("", self.save_first)
        return w

    def _providers(self, s: S.Settings) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        keys = QGroupBox("API keys (kept in the system keyring, never shown)")
        grid = QGridLayout(keys)
        intro = QLabel(
            "Or set the environment variable shown before starting LLMSpell Studio: it wins over the "
            "keyring, and the CLI reads it too."
        )
        intro.setWordWrap(True)
        grid.addWidget(intro, 0, 0, 1, 5)
        self.key_status: dict[str, QLabel] = {}
        self.key_remove: dict[str, QPushButton] = {}
        self.key_set: dict[str, QPushButton] = {}
        self.key_env: dict[str, QLabel] = {}
        for row, (pid, (label, env)) in enumerate(S.PROVIDERS.items(), start=1):
            status = QLabel()
            set_b = QPushButton("Set…")
            rm_b = QPushButton("Remove")
            set_b.setAutoDefault(False)
            rm_b.setAutoDefault(False)
            self.key_set[pid] = set_b
            set_b.clicked.connect(lambda *_, p=pid, lb=label: self.set_key(p, ask_secret(self, lb)))
            rm_b.clicked.connect(lambda *_, p=pid: self.remove_key(p))
            name = QLabel(label)
            name.setToolTip(f"Used as {env}")
            env_label = QLabel(f"<code>{env}</code>")
            env_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            env_label.setToolTip("The environment variable that gives this key instead")
            self.key_env[pid] = env_label
            grid.addWidget(name, row, 0)
            grid.addWidget(status, row, 1)
            grid.addWidget(env_label, row, 2)
            grid.addWidget(set_b, row, 3)
            grid.addWidget(rm_b, row, 4)
            self.key_status[pid] = status
            self.key_remove[pid] = rm_b
        grid.setColumnStretch(1, 1)
        problem = S.keyring_problem()
        self.keyring_note = QLabel(
            f"{problem} Keys set here are kept for this session only (never in a file); "
            "to keep one, set its environment variable."
            if problem
            else ""
        )
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setVisible(bool(problem))
        grid.addWidget(self.keyring_note, len(S.PROVIDERS) + 1, 0, 1, 5)
        lay.addWidget(keys)
        urls = QGroupBox("Local servers (base URLs)")
        form = QFormLayout(urls)
        self.urls: dict[str, QLineEdit] = {}
        for pid, (label, default) in S.BASE_URLS.items():
            e = QLineEdit(s.base_urls.get(pid, ""))
            e.setPlaceholderText(default or "http://host:port/v1")
            e.editingFinished.connect(lambda p=pid, ed=e: self._set_url(p, ed.text().strip()))
            form.addRow(label, e)
            self.urls[pid] = e
        lay.addWidget(urls)
        lay.addStretch(1)
        self.refresh_keys()
        return w

    def _security(self, s: S.Settings) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.profile = QComboBox()
        for p in S.PROFILES:
            self.profile.addItem(p, p)
        self.profile.setCurrentIndex(list(S.PROFILES).index(s.profile))
        self.profile.currentIndexChanged.connect(lambda *_: self.store.update(profile=self.profile.currentData()))
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(0, 3600)
        self.timeout.setSpecialValueText("profile default")
        self.timeout.setSuffix(" s")
        self.timeout.setValue(s.timeout_s)
        self.timeout.valueChanged.connect(lambda v: self.store.update(timeout_s=float(v)))
        self.memory = QSpinBox()
        self.memory.setRange(0, 16384)
        self.memory.setSpecialValueText("profile default")
        self.memory.setSuffix(" MB")
        self.memory.setValue(s.memory_mb)
        self.memory.valueChanged.connect(lambda v: self.store.update(memory_mb=int(v)))
        form.addRow("Security profile", self.profile)
        form.addRow("Time limit per run", self.timeout)
        form.addRow("Memory limit per run", self.memory)
        hint = QLabel(
            "strict: 10 s, 64 MB · standard: 60 s, 256 MB (the default) · trusted: 300 s, 1 GB, workspace "
            "files and allow-listed HTTP tools. Every profile runs in the same sandbox."
        )
        hint.setWordWrap(True)
        hint.setEnabled(False)
        form.addRow(hint)
        return w

    # ------------------------------------------------------------------------------------------------ actions
    def refresh_keys(self) -> None:
        texts = {
            S.CredentialSource.KEYRING: "✔ in the keyring",
            S.CredentialSource.SESSION: "✔ this session only",
            S.CredentialSource.NONE: "not set",
        }
        for pid, label in self.key_status.items():
            source = S.credential_source(pid)
            env = S.PROVIDERS[pid][1]
            label.setText(texts.get(source, f"✔ from {env}"))
            label.setEnabled(source is not S.CredentialSource.NONE)
            # the user's own variable is theirs to change; ours can go
            self.key_remove[pid].setEnabled(source in (S.CredentialSource.KEYRING, S.CredentialSource.SESSION))

    def set_key(self, provider: str, secret: str | None) -> None:
        """Keep the key in the keyring; without a usable one, for this session only (never in a plain file)."""
        if secret:
            try:
                if S.keyring_problem():
                    raise RuntimeError("no keyring")
                S.set_credential(provider, secret)
            except Exception as e:
                log.warning("cannot store the key in the keyring: %s", type(e).__name__)
                S.set_session_credential(provider, secret)
                self.keyring_note.setText(
                    f"The system keyring could not keep the key ({type(e).__name__}): it is used for this session "
                    f"only. To keep it, set {S.PROVIDERS[provider][1]} in your environment."
                )
                self.keyring_note.show()
        self.refresh_keys()

    def remove_key(self, provider: str) -> None:
        S.delete_credential(provider)
        self.refresh_keys()

    def _set_url(self, provider: str, url: str) -> None:
        urls = dict(self.store.settings.base_urls)
        if url:
            urls[provider] = url
        else:
            urls.pop(provider, None)
        if urls != self.store.settings.base_urls:
            self.store.update(base_urls=urls)
