"""住民記録システム（デモ）: a Tk thick client that looks like a legacy core-system client.

Login dialog, menu, an entry screen of Entry fields in tab order, F9 for 登録, modal dialogs for
errors and for the 受付番号, stored to SQLite. Desktop flows and their tests drive it under Xvfb.
"""
