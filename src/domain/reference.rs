//! The code lists shipped in `reference/`, embedded in the binary and read once.

use std::collections::HashMap;
use std::sync::LazyLock;

pub(crate) struct NutsRecord {
    pub code: String,
    pub level: u8,
    pub name: String,
    /// The ISO 3166 country (NUTS writes Greece `EL` and the United Kingdom `UK`).
    pub country: &'static NamedCode,
}

pub(crate) struct IscedRecord {
    pub code: String,
    pub name: String,
}

pub(crate) struct NamedCode {
    pub code: String,
    pub name: String,
    pub aliases: Vec<String>,
}

pub(crate) struct CodeList<T> {
    pub records: Vec<T>,
    by_key: HashMap<String, usize>,
}

impl<T> CodeList<T> {
    pub fn get(&'static self, key: &str) -> Option<&'static T> {
        self.by_key.get(key).map(|&index| &self.records[index])
    }
}

/// Folds a name for lookups: lower case, single spaces, and the Latin accents that
/// people leave out when typing quickly ("Pais Vasco" finds "País Vasco").
pub(crate) fn fold_name(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !folded.is_empty() {
            folded.push(' ');
        }
        for character in word.chars() {
            if character.is_ascii() {
                folded.push(character.to_ascii_lowercase());
            } else {
                folded.extend(character.to_lowercase().map(strip_accent));
            }
        }
    }
    folded
}

/// The key of `COUNTRIES` for a folded country code or name: NUTS writes Greece `EL`
/// and the United Kingdom `UK`, ISO 3166 `GR` and `GB`.
pub(crate) fn iso_country_key(folded: &str) -> &str {
    match folded {
        "el" => "gr",
        "uk" => "gb",
        other => other,
    }
}

fn strip_accent(character: char) -> char {
    match character {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => 'i',
        'ł' | 'ľ' | 'ĺ' => 'l',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ř' => 'r',
        'ś' | 'š' | 'ș' | 'ş' => 's',
        'ť' | 'ț' | 'ţ' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        '’' => '\'',
        '—' | '–' => '-',
        other => other,
    }
}

pub(crate) static NUTS: LazyLock<CodeList<NutsRecord>> = LazyLock::new(|| {
    let records: Vec<NutsRecord> = csv_rows(include_str!("../../reference/nuts2021.csv"))
        .map(|row| NutsRecord {
            code: row[0].clone(),
            level: row[1].parse().expect("NUTS levels are digits"),
            name: row[2].clone(),
            country: COUNTRIES
                .get(iso_country_key(&fold_name(&row[3])))
                .expect("every NUTS country is an ISO 3166 country"),
        })
        .collect();
    let by_key = index_by(&records, |record| vec![record.code.clone()]);
    CodeList { records, by_key }
});

/// NUTS 2 regions by folded name, for "Region: País Vasco".
pub(crate) static NUTS2_BY_NAME: LazyLock<HashMap<String, usize>> = LazyLock::new(|| {
    NUTS.records
        .iter()
        .enumerate()
        .filter(|(_, record)| record.level == 2)
        .map(|(index, record)| (fold_name(&record.name), index))
        .collect()
});

pub(crate) static ISCED: LazyLock<CodeList<IscedRecord>> = LazyLock::new(|| {
    let records: Vec<IscedRecord> = csv_rows(include_str!("../../reference/isced_f_2013.csv"))
        .map(|row| IscedRecord {
            code: row[0].clone(),
            name: row[2].clone(),
        })
        .collect();
    let by_key = index_by(&records, |record| vec![record.code.clone()]);
    CodeList { records, by_key }
});

pub(crate) static LANGUAGES: LazyLock<CodeList<NamedCode>> =
    LazyLock::new(|| named_code_list(include_str!("../../reference/iso639_1.csv")));

pub(crate) static COUNTRIES: LazyLock<CodeList<NamedCode>> =
    LazyLock::new(|| named_code_list(include_str!("../../reference/iso3166_1.csv")));

fn named_code_list(text: &'static str) -> CodeList<NamedCode> {
    let records: Vec<NamedCode> = csv_rows(text)
        .map(|row| NamedCode {
            code: row[0].clone(),
            name: row[1].clone(),
            aliases: row[2]
                .split('|')
                .filter(|alias| !alias.is_empty())
                .map(str::to_owned)
                .collect(),
        })
        .collect();
    let by_key = index_by(&records, |record| {
        let mut keys = vec![record.code.to_lowercase(), fold_name(&record.name)];
        keys.extend(record.aliases.iter().map(|alias| fold_name(alias)));
        keys
    });
    CodeList { records, by_key }
}

fn index_by<T>(records: &[T], keys: impl Fn(&T) -> Vec<String>) -> HashMap<String, usize> {
    let mut by_key = HashMap::new();
    for (index, record) in records.iter().enumerate() {
        for key in keys(record) {
            by_key.entry(key).or_insert(index);
        }
    }
    by_key
}

fn csv_rows(text: &'static str) -> impl Iterator<Item = Vec<String>> {
    csv::Reader::from_reader(text.as_bytes())
        .into_records()
        .map(|row| {
            row.expect("the embedded reference files are valid CSV")
                .iter()
                .map(str::to_owned)
                .collect()
        })
}
