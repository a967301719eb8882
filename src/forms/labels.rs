//! The labels and fixed values of the structured forms in five languages (FORMS.md).
//! The blank forms in `templates/` use the first label of each cell.

use super::FormLanguage::{self, De, En, Es, Fr, Sv};

/// A field of either form, named by the keys that web forms and CSV headers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldKey {
    Role,
    Organisation,
    ContactName,
    ContactEmail,
    Region,
    MobilityType,
    Fields,
    Participants,
    FewerOpportunities,
    InclusionSupport,
    EarliestStart,
    LatestEnd,
    Duration,
    Languages,
    PartnerCountries,
    Notes,
    SendingOrganisation,
    SendingRegion,
    ReceivingOrganisation,
    ReceivingRegion,
    ReceivingCountry,
    /// The printed report form's single line "Receiving region … or Receiving country".
    ReceivingRegionOrCountry,
    StartDate,
    EndDate,
    Status,
    Introduction,
}

impl FieldKey {
    pub const ALL: &'static [FieldKey] = &[
        FieldKey::Role,
        FieldKey::Organisation,
        FieldKey::ContactName,
        FieldKey::ContactEmail,
        FieldKey::Region,
        FieldKey::MobilityType,
        FieldKey::Fields,
        FieldKey::Participants,
        FieldKey::FewerOpportunities,
        FieldKey::InclusionSupport,
        FieldKey::EarliestStart,
        FieldKey::LatestEnd,
        FieldKey::Duration,
        FieldKey::Languages,
        FieldKey::PartnerCountries,
        FieldKey::Notes,
        FieldKey::SendingOrganisation,
        FieldKey::SendingRegion,
        FieldKey::ReceivingOrganisation,
        FieldKey::ReceivingRegion,
        FieldKey::ReceivingCountry,
        FieldKey::ReceivingRegionOrCountry,
        FieldKey::StartDate,
        FieldKey::EndDate,
        FieldKey::Status,
        FieldKey::Introduction,
    ];

    /// The key as web forms, CSV headers and error reports name it.
    pub fn key(self) -> &'static str {
        match self {
            FieldKey::Role => "role",
            FieldKey::Organisation => "organisation",
            FieldKey::ContactName => "contact_name",
            FieldKey::ContactEmail => "contact_email",
            FieldKey::Region => "region",
            FieldKey::MobilityType => "mobility_type",
            FieldKey::Fields => "fields",
            FieldKey::Participants => "participants",
            FieldKey::FewerOpportunities => "fewer_opportunities",
            FieldKey::InclusionSupport => "inclusion_support",
            FieldKey::EarliestStart => "earliest_start",
            FieldKey::LatestEnd => "latest_end",
            FieldKey::Duration => "duration",
            FieldKey::Languages => "languages",
            FieldKey::PartnerCountries => "partner_countries",
            FieldKey::Notes => "notes",
            FieldKey::SendingOrganisation => "sending_organisation",
            FieldKey::SendingRegion => "sending_region",
            FieldKey::ReceivingOrganisation => "receiving_organisation",
            FieldKey::ReceivingRegion => "receiving_region",
            FieldKey::ReceivingCountry => "receiving_country",
            FieldKey::ReceivingRegionOrCountry => "receiving_region",
            FieldKey::StartDate => "start_date",
            FieldKey::EndDate => "end_date",
            FieldKey::Status => "status",
            FieldKey::Introduction => "introduction",
        }
    }

    pub(super) fn from_key(key: &str) -> Option<FieldKey> {
        let key = key.trim().to_lowercase();
        FieldKey::ALL
            .iter()
            .copied()
            .filter(|field| *field != FieldKey::ReceivingRegionOrCountry)
            .find(|field| field.key() == key)
    }

    /// Fields whose values are lists: repeated web inputs are joined into one value.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            FieldKey::Fields | FieldKey::Languages | FieldKey::PartnerCountries
        )
    }

    /// The labels of this field in one language, the form's own label first.
    pub fn labels(self, language: FormLanguage) -> &'static [&'static str] {
        LABELS
            .iter()
            .find(|(field, _)| *field == self)
            .and_then(|(_, by_language)| {
                by_language
                    .iter()
                    .find(|(label_language, _)| *label_language == language)
            })
            .map(|(_, labels)| *labels)
            .unwrap_or(&[])
    }
}

type LabelRow = (FieldKey, &'static [(FormLanguage, &'static [&'static str])]);

const LABELS: &[LabelRow] = &[
    (
        FieldKey::Role,
        &[
            (En, &["Role"]),
            (Es, &["Rol"]),
            (Sv, &["Roll"]),
            (Fr, &["Rôle", "Role"]),
            (De, &["Rolle"]),
        ],
    ),
    (
        FieldKey::Organisation,
        &[
            (En, &["Organisation", "Organization"]),
            (Es, &["Organización", "Organizacion"]),
            (Sv, &["Organisation"]),
            (Fr, &["Organisation"]),
            (De, &["Organisation"]),
        ],
    ),
    (
        FieldKey::ContactName,
        &[
            (En, &["Contact name", "Contact person", "Contact"]),
            (Es, &["Persona de contacto", "Contacto"]),
            (Sv, &["Kontaktperson"]),
            (Fr, &["Personne de contact", "Contact"]),
            (De, &["Kontaktperson", "Ansprechperson"]),
        ],
    ),
    (
        FieldKey::ContactEmail,
        &[
            (En, &["Contact email", "Contact e-mail", "Email", "E-mail"]),
            (Es, &["Correo de contacto", "Correo electrónico", "Correo"]),
            (Sv, &["Kontaktens e-post", "E-post"]),
            (
                Fr,
                &["E-mail de contact", "Courriel de contact", "Courriel"],
            ),
            (De, &["Kontakt-E-Mail", "Kontakt E-Mail", "E-Mail"]),
        ],
    ),
    (
        FieldKey::Region,
        &[
            (En, &["Region"]),
            (Es, &["Región", "Region"]),
            (Sv, &["Region"]),
            (Fr, &["Région", "Region"]),
            (De, &["Region"]),
        ],
    ),
    (
        FieldKey::MobilityType,
        &[
            (En, &["Mobility type", "Type of mobility"]),
            (Es, &["Tipo de movilidad"]),
            (Sv, &["Typ av mobilitet", "Mobilitetstyp"]),
            (Fr, &["Type de mobilité"]),
            (De, &["Art der Mobilität", "Mobilitätsart"]),
        ],
    ),
    (
        FieldKey::Fields,
        &[
            (
                En,
                &[
                    "Fields of education",
                    "Fields",
                    "Field of education",
                    "ISCED-F codes",
                ],
            ),
            (Es, &["Campos de educación", "Campos de estudio"]),
            (Sv, &["Utbildningsområden", "Utbildningsområde"]),
            (
                Fr,
                &["Domaines d'études", "Domaines d’études", "Domaines d'étude"],
            ),
            (De, &["Bildungsbereiche", "Bildungsbereich"]),
        ],
    ),
    (
        FieldKey::Participants,
        &[
            (En, &["Participants", "Number of participants"]),
            (Es, &["Participantes"]),
            (Sv, &["Deltagare"]),
            (Fr, &["Participants"]),
            (De, &["Teilnehmende", "Teilnehmer"]),
        ],
    ),
    (
        FieldKey::FewerOpportunities,
        &[
            (
                En,
                &[
                    "Fewer opportunities",
                    "Participants with fewer opportunities",
                ],
            ),
            (Es, &["Menos oportunidades"]),
            (Sv, &["Färre möjligheter"]),
            (Fr, &["Moins d'opportunités", "Moins d’opportunités"]),
            (De, &["Geringere Chancen"]),
        ],
    ),
    (
        FieldKey::InclusionSupport,
        &[
            (En, &["Inclusion support"]),
            (Es, &["Apoyo a la inclusión", "Apoyo a la inclusion"]),
            (Sv, &["Inkluderingsstöd"]),
            (Fr, &["Soutien à l'inclusion", "Soutien à l’inclusion"]),
            (De, &["Inklusionsunterstützung"]),
        ],
    ),
    (
        FieldKey::EarliestStart,
        &[
            (En, &["Earliest start", "Earliest start date"]),
            (Es, &["Inicio más temprano"]),
            (Sv, &["Tidigaste start"]),
            (Fr, &["Début au plus tôt"]),
            (De, &["Frühester Beginn"]),
        ],
    ),
    (
        FieldKey::LatestEnd,
        &[
            (En, &["Latest end", "Latest end date"]),
            (Es, &["Fin más tardío"]),
            (Sv, &["Senaste slut"]),
            (Fr, &["Fin au plus tard"]),
            (De, &["Spätestes Ende"]),
        ],
    ),
    (
        FieldKey::Duration,
        &[
            (En, &["Duration in days", "Duration"]),
            (Es, &["Duración en días", "Duración"]),
            (Sv, &["Längd i dagar", "Längd"]),
            (Fr, &["Durée en jours", "Durée"]),
            (De, &["Dauer in Tagen", "Dauer"]),
        ],
    ),
    (
        FieldKey::Languages,
        &[
            (En, &["Languages", "Language"]),
            (Es, &["Idiomas", "Idioma"]),
            (Sv, &["Språk"]),
            (Fr, &["Langues", "Langue"]),
            (De, &["Sprachen", "Sprache"]),
        ],
    ),
    (
        FieldKey::PartnerCountries,
        &[
            (En, &["Partner countries", "Partner country"]),
            (Es, &["Países socios", "Paises socios"]),
            (Sv, &["Partnerländer"]),
            (Fr, &["Pays partenaires"]),
            (De, &["Partnerländer"]),
        ],
    ),
    (
        FieldKey::Notes,
        &[
            (En, &["Notes", "Note", "Comments"]),
            (Es, &["Notas", "Comentarios"]),
            (Sv, &["Anteckningar", "Kommentarer"]),
            (Fr, &["Remarques", "Commentaires"]),
            (De, &["Anmerkungen", "Bemerkungen"]),
        ],
    ),
    (
        FieldKey::SendingOrganisation,
        &[
            (En, &["Sending organisation", "Sending organization"]),
            (Es, &["Organización de envío", "Organización emisora"]),
            (Sv, &["Sändande organisation"]),
            (Fr, &["Organisation d'envoi", "Organisation d’envoi"]),
            (De, &["Entsendende Organisation"]),
        ],
    ),
    (
        FieldKey::SendingRegion,
        &[
            (En, &["Sending region"]),
            (Es, &["Región de envío", "Región emisora"]),
            (Sv, &["Sändande region"]),
            (Fr, &["Région d'envoi", "Région d’envoi"]),
            (De, &["Entsenderegion", "Entsendende Region"]),
        ],
    ),
    (
        FieldKey::ReceivingOrganisation,
        &[
            (
                En,
                &[
                    "Receiving organisation",
                    "Receiving organization",
                    "Host organisation",
                    "Host organization",
                ],
            ),
            (Es, &["Organización de acogida", "Organización receptora"]),
            (Sv, &["Mottagande organisation"]),
            (Fr, &["Organisation d'accueil", "Organisation d’accueil"]),
            (De, &["Aufnehmende Organisation"]),
        ],
    ),
    (
        FieldKey::ReceivingRegion,
        &[
            (En, &["Receiving region", "Host region"]),
            (Es, &["Región de acogida", "Región receptora"]),
            (Sv, &["Mottagande region"]),
            (Fr, &["Région d'accueil", "Région d’accueil"]),
            (De, &["Aufnahmeregion", "Aufnehmende Region"]),
        ],
    ),
    (
        FieldKey::ReceivingCountry,
        &[
            (En, &["Receiving country", "Host country"]),
            (Es, &["País de acogida", "País receptor"]),
            (Sv, &["Mottagande land"]),
            (Fr, &["Pays d'accueil", "Pays d’accueil"]),
            (De, &["Aufnahmeland"]),
        ],
    ),
    (
        FieldKey::ReceivingRegionOrCountry,
        &[
            (
                En,
                &[
                    "Receiving region or Receiving country",
                    "Receiving region or country",
                ],
            ),
            (
                Es,
                &[
                    "Región de acogida o País de acogida",
                    "Región de acogida o país",
                ],
            ),
            (
                Sv,
                &[
                    "Mottagande region eller Mottagande land",
                    "Mottagande region eller land",
                ],
            ),
            (
                Fr,
                &[
                    "Région d'accueil ou Pays d'accueil",
                    "Région d’accueil ou Pays d’accueil",
                    "Région d'accueil ou pays",
                ],
            ),
            (De, &["Aufnahmeregion oder Aufnahmeland"]),
        ],
    ),
    (
        FieldKey::StartDate,
        &[
            (En, &["Start date", "Start"]),
            (Es, &["Fecha de inicio", "Inicio"]),
            (Sv, &["Startdatum"]),
            (Fr, &["Date de début", "Début"]),
            (De, &["Beginn", "Startdatum"]),
        ],
    ),
    (
        FieldKey::EndDate,
        &[
            (En, &["End date", "End"]),
            (Es, &["Fecha de fin", "Fin"]),
            (Sv, &["Slutdatum"]),
            (Fr, &["Date de fin", "Fin"]),
            (De, &["Ende", "Enddatum"]),
        ],
    ),
    (
        FieldKey::Status,
        &[
            (En, &["Status"]),
            (Es, &["Estado"]),
            (Sv, &["Status"]),
            (Fr, &["Statut"]),
            (De, &["Status"]),
        ],
    ),
    (
        FieldKey::Introduction,
        &[
            (En, &["Introduction"]),
            (Es, &["Presentación", "Presentacion"]),
            (Sv, &["Introduktion"]),
            (Fr, &["Présentation", "Presentation"]),
            (De, &["Vorstellung"]),
        ],
    ),
];

/// A fixed value and its spellings in every language, canonical key first.
pub(crate) struct FixedValue<T: 'static> {
    pub value: T,
    pub spellings: &'static [&'static str],
}

use crate::domain::{MobilityStatus, MobilityType, Role};

pub(crate) const ROLES: &[FixedValue<Role>] = &[
    FixedValue {
        value: Role::Receiving,
        spellings: &[
            "receiving",
            "host",
            "hosting",
            "receive",
            "offer",
            "acogida",
            "receptora",
            "receptor",
            "mottagande",
            "accueil",
            "aufnehmend",
        ],
    },
    FixedValue {
        value: Role::Sending,
        spellings: &[
            "sending",
            "send",
            "request",
            "envío",
            "envio",
            "emisora",
            "emisor",
            "sändande",
            "envoi",
            "entsendend",
        ],
    },
];

pub(crate) const MOBILITY_TYPES: &[FixedValue<MobilityType>] = &[
    FixedValue {
        value: MobilityType::VetLearner,
        spellings: &[
            "vet_learner",
            "VET learners",
            "VET learner",
            "VET students",
            "Estudiantes de FP",
            "Alumnado de FP",
            "Yrkeselever",
            "Apprenants EFP",
            "Apprenants en EFP",
            "Lernende in der Berufsbildung",
        ],
    },
    FixedValue {
        value: MobilityType::Apprentice,
        spellings: &[
            "apprentice",
            "Apprentices",
            "Aprendices",
            "Aprendiz",
            "Lärlingar",
            "Lärling",
            "Apprentis",
            "Apprenti",
            "Auszubildende",
            "Azubis",
        ],
    },
    FixedValue {
        value: MobilityType::AdultLearner,
        spellings: &[
            "adult_learner",
            "Adult learners",
            "Adult learner",
            "Adult education",
            "Estudiantes adultos",
            "Educación de adultos",
            "Vuxenstuderande",
            "Vuxenutbildning",
            "Apprenants adultes",
            "Éducation des adultes",
            "Erwachsene Lernende",
            "Erwachsenenbildung",
        ],
    },
    FixedValue {
        value: MobilityType::InformalLearner,
        spellings: &[
            "informal_learner",
            "Informal learners",
            "Informal-education learners",
            "Informal learner",
            "Educación informal",
            "Informellt lärande",
            "Éducation informelle",
            "Informell Lernende",
        ],
    },
    FixedValue {
        value: MobilityType::StaffJobShadowing,
        spellings: &[
            "staff_job_shadowing",
            "Staff job shadowing",
            "Job shadowing",
            "Observación de puestos de trabajo",
            "Observación en el puesto de trabajo",
            "Jobbskuggning",
            "Observation en situation de travail",
            "Hospitation",
            "Job-Shadowing",
        ],
    },
    FixedValue {
        value: MobilityType::StudyVisit,
        spellings: &[
            "study_visit",
            "Study visit",
            "Study visits",
            "Visita de estudio",
            "Visitas de estudio",
            "Studiebesök",
            "Visite d'étude",
            "Visite d’étude",
            "Visites d'étude",
            "Studienbesuch",
            "Studienbesuche",
        ],
    },
];

pub(crate) const MOBILITY_STATUSES: &[FixedValue<MobilityStatus>] = &[
    FixedValue {
        value: MobilityStatus::Planned,
        spellings: &[
            "planned",
            "planificada",
            "planificado",
            "prevista",
            "planerad",
            "prévue",
            "prévu",
            "geplant",
        ],
    },
    FixedValue {
        value: MobilityStatus::Completed,
        spellings: &[
            "completed",
            "complete",
            "done",
            "completada",
            "completado",
            "realizada",
            "genomförd",
            "réalisée",
            "réalisé",
            "terminée",
            "abgeschlossen",
            "durchgeführt",
        ],
    },
    FixedValue {
        value: MobilityStatus::Cancelled,
        spellings: &[
            "cancelled",
            "canceled",
            "cancelada",
            "cancelado",
            "inställd",
            "annulée",
            "annulé",
            "abgesagt",
            "storniert",
        ],
    },
];

pub(crate) const YES_NO: &[FixedValue<bool>] = &[
    FixedValue {
        value: true,
        spellings: &["yes", "y", "true", "sí", "si", "ja", "oui"],
    },
    FixedValue {
        value: false,
        spellings: &["no", "n", "false", "nej", "non", "nein"],
    },
];

/// Units a duration may carry, with how many days each is.
pub(crate) const DURATION_UNITS: &[(&str, u32)] = &[
    ("day", 1),
    ("days", 1),
    ("día", 1),
    ("días", 1),
    ("dia", 1),
    ("dias", 1),
    ("dag", 1),
    ("dagar", 1),
    ("jour", 1),
    ("jours", 1),
    ("tag", 1),
    ("tage", 1),
    ("tagen", 1),
    ("d", 1),
    ("week", 7),
    ("weeks", 7),
    ("semana", 7),
    ("semanas", 7),
    ("vecka", 7),
    ("veckor", 7),
    ("semaine", 7),
    ("semaines", 7),
    ("woche", 7),
    ("wochen", 7),
    ("w", 7),
];

/// Words that join list items in prose ("English and Spanish").
pub(crate) const LIST_CONJUNCTIONS: &[&str] = &[
    "and", "or", "y", "o", "e", "och", "eller", "et", "ou", "und", "oder", "&", "+",
];
