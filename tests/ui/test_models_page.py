"""Settings → Models and the status bar's spend label."""

from __future__ import annotations

from app.bridges.spend import ledger
from app.ui.models_page import ModelsPage, check_model_config
from app.ui.settings import SettingsStore
from app.ui.spend_status import SpendLabel


def test_a_valid_configuration_is_saved_and_an_invalid_one_is_explained(qtbot):
    store = SettingsStore()
    page = ModelsPage(store)
    qtbot.addWidget(page)
    page.editor.setPlainText('[models]\nquick = "openai/gpt-4o-mini"\n')
    page.commit()
    assert store.settings.model_config.startswith("[models]") and page.problem.isHidden()
    page.editor.setPlainText('[models.x]\nmodel = "openai/a"\nkey = "sk-pasted-secret-key-123"\n')
    page.commit()
    assert not page.problem.isHidden() and "must be a reference" in page.problem.text()
    assert "sk-pasted" not in page.problem.text()
    assert store.settings.model_config.startswith("[models]\nquick")  # the last valid text stays saved
    assert SettingsStore().settings.model_config == store.settings.model_config  # persisted


def test_the_cache_switch_is_a_setting(qtbot):
    store = SettingsStore()
    page = ModelsPage(store)
    qtbot.addWidget(page)
    page.cache.setChecked(True)
    assert SettingsStore().settings.cache_enabled is True


def test_check_names_the_settings_page():
    assert "Settings → Models" in (check_model_config("[models\n") or "")
    assert check_model_config("") is None


def test_spend_label_shows_todays_spend_per_model(qtbot):
    label = SpendLabel()
    qtbot.addWidget(label)
    assert label.isHidden()  # nothing spent yet
    ledger().add("openai/gpt-4o-mini", 0.0125)
    label.refresh()
    assert not label.isHidden() and label.text() == "$0.0125 today"
    assert "openai/gpt-4o-mini" in label.toolTip()
