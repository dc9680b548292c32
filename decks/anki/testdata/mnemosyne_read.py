# Reads an Anki package with Mnemosyne's importer (Debian's mnemosyne,
# libmnemosyne/file_formats/anki2.py), as a check independent of flashd,
# and prints what Mnemosyne holds after the import as one JSON line.
# Usage: python3 mnemosyne_read.py FILE.apkg
import json, os, sys, tempfile
from mnemosyne.libmnemosyne import Mnemosyne
from mnemosyne.libmnemosyne.ui_components.main_widget import MainWidget

from mnemosyne.libmnemosyne.ui_components.review_widget import ReviewWidget


class Widget(MainWidget):
    """A main window that shows nothing; errors go to stdout."""
    def show_error(self, message): print("ERROR:", message)
    def show_question(self, *args, **kwargs): return 0


class Review(ReviewWidget):
    """A review window that shows nothing."""
    instantiate = ReviewWidget.IMMEDIATELY


# Every other widget method does nothing.
for base, cls in ((MainWidget, Widget), (ReviewWidget, Review)):
    for name in dir(base):
        if not name.startswith("_") and callable(getattr(base, name)) and name not in cls.__dict__:
            setattr(cls, name, lambda self, *args, **kwargs: None)

data = tempfile.mkdtemp()
m = Mnemosyne(upload_science_logs=False, interested_in_old_reps=True, asynchronous_database=True)
m.components.insert(0, ("mnemosyne.libmnemosyne.gui_translators.no_gui_translator", "NoGuiTranslator"))
m.components.append(("__main__", "Widget"))
m.components.append(("__main__", "Review"))
m.initialise(data, automatic_upgrades=False)
fmt = [f for f in m.component_manager.all("file_format") if "anki2" in f.__class__.__module__][0]
fmt.do_import(sys.argv[1])
db = m.database()
con = db.con
out = {
    "cards": con.execute("select count() from cards").fetchone()[0],
    "facts": con.execute("select count() from facts").fetchone()[0],
    "repetitions": con.execute("select count() from log where event_type=9").fetchone()[0],
    "unseen": con.execute("select count() from cards where grade=-1").fetchone()[0],
    "tags": sorted(r[0] for r in con.execute("select name from tags")),
    "questions": sorted(r[0] for r in con.execute("select question from cards")),
    "media": sorted(os.listdir(db.media_dir())),
}
m.finalise()
print("RESULT " + json.dumps(out))
