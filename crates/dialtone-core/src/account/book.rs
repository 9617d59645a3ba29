//! The account book on disk: `accounts.json` in the user's config directory
//! (`$XDG_CONFIG_HOME/dialtone` on Linux). It never holds a secret.

use super::{Account, AccountError, AlexaAccount, LexAccount, SANDBOX};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Serialize, Deserialize)]
struct OnDisk {
    /// The account `call` and `listen` use when none is named.
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    accounts: Vec<Account>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    alexa: Vec<AlexaAccount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    lex: Vec<LexAccount>,
}

#[derive(Debug)]
pub struct AccountBook {
    path: PathBuf,
    data: OnDisk,
}

fn book_error(path: &Path, detail: impl ToString) -> AccountError {
    AccountError::Book {
        path: path.display().to_string(),
        detail: detail.to_string(),
    }
}

/// An account of one kind by name; with none named, the first one, or the sandbox
/// (`None`) when there is none.
fn pick_named<'a, T>(
    list: &'a [T],
    name: Option<&str>,
    name_of: impl Fn(&T) -> &str,
) -> Result<Option<&'a T>, AccountError> {
    match name {
        None => Ok(list.first()),
        Some(SANDBOX) => Ok(None),
        Some(n) => list
            .iter()
            .find(|a| name_of(a) == n)
            .map(Some)
            .ok_or_else(|| AccountError::Unknown(n.to_owned())),
    }
}

impl AccountBook {
    /// The user's book; an absent file is an empty book.
    pub fn open_default() -> Result<Self, AccountError> {
        let dirs = directories::ProjectDirs::from("dev", "dialtone", "dialtone")
            .ok_or_else(|| book_error(Path::new("~"), "no home directory to keep settings in"))?;
        Self::open(&dirs.config_dir().join("accounts.json"))
    }

    pub fn open(path: &Path) -> Result<Self, AccountError> {
        let data = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                book_error(
                    path,
                    format!("{e}; fix or delete the file (secrets are not in it)"),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => OnDisk::default(),
            Err(e) => return Err(book_error(path, e)),
        };
        Ok(Self {
            path: path.to_owned(),
            data,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn accounts(&self) -> &[Account] {
        &self.data.accounts
    }

    pub fn default_name(&self) -> Option<&str> {
        self.data.default.as_deref()
    }

    /// The named account, or the default one when `name` is `None`. `Ok(None)` means
    /// the built-in sandbox: no account configured, or `sandbox` asked for. An account
    /// is checked again as it is picked: the file may have been edited since it was added
    /// (an `http://` operator URL, say), and such an account is refused, not used.
    pub fn pick(&self, name: Option<&str>) -> Result<Option<&Account>, AccountError> {
        let wanted = match name.or(self.data.default.as_deref()) {
            None => return Ok(None),
            Some(n) if n == SANDBOX => return Ok(None),
            Some(n) => n,
        };
        let account = self
            .get(wanted)
            .ok_or_else(|| AccountError::Unknown(wanted.to_owned()))?;
        account.validate()?;
        Ok(Some(account))
    }

    pub fn get(&self, name: &str) -> Option<&Account> {
        self.data.accounts.iter().find(|a| a.name == name)
    }

    /// Adds an account; the first one becomes the default.
    pub fn alexa_accounts(&self) -> &[AlexaAccount] {
        &self.data.alexa
    }

    /// The Alexa account by name; with none named, the first one, or the sandbox (`None`)
    /// when there is none.
    pub fn pick_alexa(&self, name: Option<&str>) -> Result<Option<&AlexaAccount>, AccountError> {
        let account = pick_named(&self.data.alexa, name, |a| &a.name)?;
        account.map(AlexaAccount::validate).transpose()?;
        Ok(account)
    }

    pub fn lex_accounts(&self) -> &[LexAccount] {
        &self.data.lex
    }

    /// The Lex account by name; with none named, the first one, or the sandbox (`None`).
    pub fn pick_lex(&self, name: Option<&str>) -> Result<Option<&LexAccount>, AccountError> {
        let account = pick_named(&self.data.lex, name, |a| &a.name)?;
        account.map(LexAccount::validate).transpose()?;
        Ok(account)
    }

    pub fn add_lex(&mut self, account: LexAccount) -> Result<(), AccountError> {
        account.validate()?;
        if self.has(&account.name) {
            return Err(AccountError::Exists(account.name));
        }
        self.data.lex.push(account);
        self.save()
    }

    /// Is there an account of any kind named `name`? Names are unique across kinds, as
    /// the keyring keys secrets by name alone.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
            || self.data.alexa.iter().any(|a| a.name == name)
            || self.data.lex.iter().any(|a| a.name == name)
    }

    pub fn add_alexa(&mut self, account: AlexaAccount) -> Result<(), AccountError> {
        account.validate()?;
        if self.has(&account.name) {
            return Err(AccountError::Exists(account.name));
        }
        self.data.alexa.push(account);
        self.save()
    }

    pub fn add(&mut self, account: Account, make_default: bool) -> Result<(), AccountError> {
        account.validate()?;
        if self.has(&account.name) {
            return Err(AccountError::Exists(account.name));
        }
        if make_default || self.data.default.is_none() {
            self.data.default = Some(account.name.clone());
        }
        self.data.accounts.push(account);
        self.save()
    }

    /// Removes the account of either kind named `name`.
    pub fn remove(&mut self, name: &str) -> Result<(), AccountError> {
        if let Some(i) = self.data.alexa.iter().position(|a| a.name == name) {
            self.data.alexa.remove(i);
            return self.save();
        }
        if let Some(i) = self.data.lex.iter().position(|a| a.name == name) {
            self.data.lex.remove(i);
            return self.save();
        }
        let i = self
            .data
            .accounts
            .iter()
            .position(|a| a.name == name)
            .ok_or_else(|| AccountError::Unknown(name.to_owned()))?;
        self.data.accounts.remove(i);
        if self.data.default.as_deref() == Some(name) {
            self.data.default = self.data.accounts.first().map(|a| a.name.clone());
        }
        self.save()
    }

    /// Owner-only, written to a temporary file and renamed, so a crash never leaves half
    /// a book.
    fn save(&self) -> Result<(), AccountError> {
        let json = serde_json::to_vec_pretty(&self.data).map_err(|e| book_error(&self.path, e))?;
        crate::files::write_private(&self.path, &json).map_err(|e| book_error(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_book() -> (PathBuf, AccountBook) {
        let dir = std::env::temp_dir().join(format!("dialtone-book-{}", uuid::Uuid::new_v4().simple()));
        let path = dir.join("accounts.json");
        let book = AccountBook::open(&path).expect("empty book");
        (dir, book)
    }

    fn account(name: &str) -> Account {
        Account::new(
            name,
            "https://api.example.com",
            "https://auth.example.com/token",
            "cid",
            crate::signaling::camara::Dialect::R2_2,
        )
        .expect("valid")
    }

    #[test]
    fn no_account_means_the_sandbox() {
        let (_dir, book) = temp_book();
        assert!(book.pick(None).expect("pick").is_none());
        assert!(book.pick(Some("sandbox")).expect("pick").is_none());
        let e = book.pick(Some("op")).expect_err("unknown").to_string();
        assert!(e.contains("no account named 'op'"), "{e}");
    }

    #[test]
    fn accounts_persist_and_the_first_is_the_default() {
        let (dir, mut book) = temp_book();
        book.add(account("a"), false).expect("add a");
        book.add(account("b"), false).expect("add b");
        let e = book.add(account("a"), false).expect_err("duplicate").to_string();
        assert!(e.contains("exists already"), "{e}");
        let reopened = AccountBook::open(book.path()).expect("reopen");
        assert_eq!(reopened.accounts().len(), 2);
        assert_eq!(
            reopened.pick(None).expect("pick").map(|a| a.name.as_str()),
            Some("a")
        );
        assert_eq!(
            reopened.pick(Some("b")).expect("pick").map(|a| a.name.as_str()),
            Some("b")
        );
        book.remove("a").expect("remove");
        assert_eq!(book.default_name(), Some("b"));
        assert!(book.remove("a").is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn an_account_edited_to_plain_http_in_the_file_is_refused_when_picked() {
        let (dir, mut book) = temp_book();
        book.add(account("op"), false).expect("add");
        let text = std::fs::read_to_string(book.path()).expect("read");
        std::fs::write(
            book.path(),
            text.replace("https://api.example.com", "http://api.example.com"),
        )
        .expect("edit");
        let edited = AccountBook::open(book.path()).expect("it still opens: it can be listed and removed");
        assert_eq!(edited.accounts().len(), 1);
        let e = edited.pick(Some("op")).expect_err("refused").to_string();
        assert!(e.contains("must use https"), "{e}");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_damaged_book_is_a_clear_error_and_is_left_alone() {
        let (dir, book) = temp_book();
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(book.path(), b"{not json").expect("write");
        let e = AccountBook::open(book.path()).expect_err("damaged").to_string();
        assert!(e.contains("fix or delete"), "{e}");
        assert_eq!(std::fs::read(book.path()).expect("read"), b"{not json");
        std::fs::remove_dir_all(dir).ok();
    }
}
