"""The headers and stage names of the tools consultants switch from (SPEC §4 "Switching in").

Written from each tool's public documentation of its export or of its fields:
- Pipedrive deal exports prefix every column with its object: `Deal - Title`, `Deal - Value`,
  `Deal - Currency`, `Deal - Organization`, `Deal - Contact person`, `Deal - Stage`,
  `Deal - Status` (open / won / lost), `Deal - Expected close date`, `Deal - Deal created`,
  `Deal - Won time`, `Deal - Lost time`, `Deal - Lost reason`, `Deal - Next activity date`.
- HubSpot deal exports: `Record ID`, `Deal Name`, `Deal Stage`, `Amount`, `Close Date` (the
  expected close of an open deal, the close of a closed one), `Create Date`, `Pipeline`,
  `Associated Company`, `Associated Contact`, `Deal Description`, `Closed Lost Reason`.
- Salesforce opportunity reports: `Opportunity Name`, `Account Name`, `Amount`, `Close Date`,
  `Stage`, `Probability (%)`, `Created Date`, `Lead Source`, `Next Step`, `Type`, `Won`, `Closed`,
  and a footer of totals and a confidentiality notice.
- Zoho CRM deals: `Deal Name`, `Account Name`, `Contact Name`, `Amount`, `Closing Date`, `Stage`,
  `Probability (%)`, `Expected Revenue`, `Lead Source`, `Next Step`, `Description`,
  `Created Time`, `Reason For Loss`.
- Odoo CRM: `Opportunity`, `Customer`, `Contact Name`, `Expected Revenue`, `Stage`,
  `Expected Closing`, `Created on`, `Closed Date`, `Active` (a lost opportunity is archived:
  inactive), `Lost Reason`, `Source`.
- Notion's sales CRM databases: `Name`, `Company`, `Status`, `Value` / `Estimated value`,
  `Expected close date`, `Created time`, `Next step`, `Notes`, dates written `June 2, 2025`.
The planner's own fields are also known by their usual names in French, German and Spanish
spreadsheets (Titre, Montant, Étape; Titel, Betrag, Phase; Título, Importe, Etapa).
Headers match case- and space-insensitively (and with `_`, `-`, `/` or `.` anywhere).
"""

from __future__ import annotations

import re

from planner.domain.models import Bucket

#: The planner's own columns (SPEC §4 "CSV columns"), in export order.
COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "account",
    "contact",
    "value",
    "bucket",
    "first_contact",
    "expected_close",
    "closed_on",
    "next_action",
    "next_action_due",
    "source",
    "notes",
    "lost_reason",
)

#: What a column can be read as, beside the planner's columns: a stage or status to map to a
#: bucket, the single close date of SPEC §4, a currency, won / closed / active flags.
EXTRA_FIELDS: tuple[str, ...] = ("stage", "status", "close_date", "currency", "won", "closed", "active")
FIELDS: tuple[str, ...] = COLUMNS + EXTRA_FIELDS
#: `--map 'Header='` (or `=-`, `=ignore`) leaves a column out on purpose.
IGNORE = "ignore"


def normalise(name: str) -> str:
    """A header or a stage as compared: case-folded, every run of non-alphanumerics one space."""
    return " ".join(re.sub(r"[\W_]+", " ", name.replace("\ufeff", "").casefold()).split())


# Each field's headers, most specific first: when several columns of a file could be one field
# (Zoho's Amount and Expected Revenue), the first in this order is it, the others go to the notes.
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "title": (
        "title", "deal title", "deal name", "opportunity name", "name", "deal", "opportunity",
        "opportunity title", "lead name", "project", "project name", "subject",
        "titre", "intitulé", "affaire", "opportunité", "nom", "titel", "bezeichnung", "projekt", "chance", "título",
        "nombre", "oportunidad",
    ),
    "account": (
        "account", "account name", "deal organization", "organization", "organisation", "organization name",
        "deal organization name", "company", "company name", "associated company", "customer", "customer name",
        "client", "client name", "partner", "firm",
        "société", "entreprise", "compte", "firma", "kunde", "unternehmen", "empresa", "cliente", "cuenta",
    ),
    "contact": (
        "contact", "contact name", "deal contact person", "contact person", "associated contact",
        "primary contact", "point of contact", "person", "contact full name",
        "interlocuteur", "ansprechpartner", "kontakt", "contacto",
    ),
    "value": (
        "value", "amount", "deal value", "deal amount", "opportunity amount", "estimated value", "deal size",
        "expected revenue", "planned revenue", "revenue", "amount in company currency",
        "montant", "valeur", "betrag", "wert", "volumen", "importe", "valor",
    ),
    "bucket": ("bucket", "funnel bucket"),
    "stage": (
        "stage", "deal stage", "sales stage", "pipeline stage", "opportunity stage", "stage name", "deal phase",
        "phase", "étape", "phase de vente", "verkaufsphase", "etapa", "fase",
    ),
    "status": ("status", "deal status", "opportunity status", "state", "statut", "estado"),
    "first_contact": (
        "first contact", "first contact date", "create date", "created date", "deal deal created", "deal created",
        "created on", "created time", "date created", "creation date", "created at", "created", "deal creation date",
        "premier contact", "date de création", "créé le", "erstkontakt", "erstellt am", "erstellt", "angelegt am",
        "primer contacto", "fecha de creación",
    ),
    "expected_close": (
        "expected close", "expected close date", "deal expected close date", "expected closing",
        "expected closing date", "deadline", "target close date", "estimated close date",
        "clôture prévue", "date de clôture prévue", "erwarteter abschluss", "voraussichtlicher abschluss",
        "cierre previsto",
    ),
    "close_date": ("close date", "closing date", "close", "date de clôture", "abschlussdatum", "fecha de cierre"),
    "closed_on": (
        "closed on", "closed date", "date closed", "deal close time", "close time", "deal won time", "won time",
        "deal lost time", "lost time", "won date", "lost date", "actual close date", "date won", "closed at",
        "date of closing", "clôturé le", "abgeschlossen am", "cerrado el",
    ),
    "next_action": ("next action", "next step", "next activity", "next activity subject", "deal next activity subject",
                    "prochaine action", "prochaine étape", "nächster schritt", "nächste aktion", "próximo paso"),
    "next_action_due": (
        "next action due", "next action date", "next step date", "next activity date", "deal next activity date",
        "due", "due date", "follow up date", "follow up", "échéance", "fällig", "fällig am", "wiedervorlage",
        "vencimiento",
    ),
    "source": (
        "source", "lead source", "deal source", "deal source channel", "source channel", "deal source origin",
        "original source", "original source type", "origin", "channel", "origine", "quelle", "herkunft", "fuente",
        "origen",
    ),
    "notes": ("notes", "description", "deal description", "opportunity description", "note", "comments", "details",
              "remarques", "commentaires", "notizen", "bemerkungen", "beschreibung", "notas", "descripción"),
    "lost_reason": (
        "lost reason", "deal lost reason", "closed lost reason", "reason for loss", "loss reason", "lost because",
        "reason lost", "raison de la perte", "motif de perte", "verlustgrund", "motivo de pérdida",
    ),
    "currency": ("currency", "deal currency", "amount currency", "opportunity currency", "currency code",
                 "currency iso code", "devise", "währung", "moneda"),
    "won": ("won", "is won"),
    "closed": ("closed", "is closed"),
    "active": ("active",),
}
#: normalised header → (field, rank among that field's headers).
ALIASES: dict[str, tuple[str, int]] = {}
for _field, _names in _ALIASES.items():
    for _rank, _name in enumerate(_names):
        ALIASES.setdefault(normalise(_name), (_field, _rank))
for _column in COLUMNS:  # the planner's own names, written with _ (first_contact) or spaces
    ALIASES[normalise(_column)] = (_column, -1)


#: Stage and status values → buckets: the defaults of each tool's first pipeline, the closed
#: families, and the planner's own bucket names. `None`: the deal is open, its stage says where.
_STAGES: dict[Bucket | None, str] = {
    Bucket.WON: (
        "won|closed won|closed/won|deal won|win|won deal|gagné|gagne|gewonnen|ganado|vinto|ganho|gewonnen|"
        "closed won deal|signed|contract signed"
    ),
    Bucket.LOST: (
        "lost|closed lost|closed/lost|deal lost|closed lost to competition|lost to competition|perdu|verloren|"
        "perdido|perso|closed lost deal|dead|abandoned"
    ),
    Bucket.ABOVE: (
        "above|above the funnel|lead|new|new lead|lead in|leads|prospecting|prospect|qualification|qualifying|"
        "appointment scheduled|contact made|contacted|to contact|identified|not started|cold|enquiry|inquiry|"
        "suspect|nouveau|neu|nuevo|incoming|erstkontakt|premier contact"
    ),
    Bucket.IN: (
        "in|in the funnel|qualified|qualified to buy|qualified lead|sales qualified|needs analysis|needs defined|"
        "value proposition|id decision makers|identify decision makers|perception analysis|presentation scheduled|"
        "decision maker bought in|demo|demo scheduled|demo completed|discovery|meeting scheduled|"
        "proposal|proposal made|proposal sent|proposition|proposal price quote|quote|quote sent|qualifié|qualifiziert|"
        "angebot|proposition commerciale|solution|evaluation|in progress"
    ),
    Bucket.BEST_FEW: (
        "best few|best_few|bf|negotiation|negotiations started|negotiation review|negotiating|contract sent|"
        "contract|verbal|verbal commit|commit|closing|verhandlung|négociation|negociation|final review|"
        "awaiting signature"
    ),
}
STAGES: dict[str, Bucket] = {}
for _bucket, _names in _STAGES.items():
    for _name in _names.split("|"):
        STAGES.setdefault(normalise(_name), _bucket)
#: Status values that say the deal is open, without saying where (its stage does).
OPEN_STATUSES = frozenset(normalise(s) for s in ("open", "active", "in progress", "ongoing", "offen", "ouvert", "abierto"))

_TRUE = frozenset({"true", "yes", "1", "y", "x", "wahr", "vrai", "oui", "ja", "sí", "si", "✓", "✔"})
_FALSE = frozenset({"false", "no", "0", "n", "falsch", "faux", "non", "nein", ""})


def truth(text: str) -> bool | None:
    """A yes/no cell (TRUE, 1, yes, wahr…) → bool; None when it is neither."""
    key = text.strip().casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


# Report footers: totals and record counts, confidentiality and copyright lines, who generated the
# report. Only a trailing row of at most two cells (or of numbers under no title) is taken for one.
FOOTER = re.compile(
    r"^(?:(?:grand\s+)?(?:sub\s*)?totals?\b[:\s]*(?:\(?\s*\d[\d,.\s]*(?:records?|rows?)?\s*\)?)?\s*$"
    r"|(?:count|sum|records?)\b[:\s]*\d*\s*$"
    r"|\d[\d,.]*\s+(?:records?|rows?|deals?|opportunities)\b"
    r"|confidential|copyright|©|\(c\)|generated\b|report generated|powered by|filtered by|exported (?:on|by|from)\b"
    r"|salesforce\.com|.*all rights reserved)",
    re.IGNORECASE,
)
